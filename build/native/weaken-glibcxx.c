/* Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK), so the dynamic
 * loader accepts a libstdc++ that lacks it. Used for libLibTorchSharp.so on hosts with GCC < 13 runtimes: its one
 * symbol of that version, std::ios_base_library_init(), is named by no relocation, so nothing looks it up.
 * Usage: weaken-glibcxx FILE [VERSION]   (VERSION defaults to GLIBCXX_3.4.32). Prints "changed" or "unchanged"
 * (already weak, or no such requirement) and exits 0; exits 2 on errors. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [VERSION]\n", argv[0]); return 2; }
    const char *wanted = argc > 2 ? argv[2] : "GLIBCXX_3.4.32";
    FILE *f = fopen(argv[1], "r+b");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *buf = malloc(size);
    rewind(f);
    if (!buf || fread(buf, 1, size, f) != (size_t)size) { fprintf(stderr, "cannot read %s\n", argv[1]); return 2; }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    if (size < (long)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "%s is not an ELF64 file\n", argv[1]); return 2;
    }
    Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        const char *strtab = (const char *)buf + sh[sh[i].sh_link].sh_offset;
        Elf64_Verneed *vn = (Elf64_Verneed *)(buf + sh[i].sh_offset);
        for (;;) {
            Elf64_Vernaux *aux = (Elf64_Vernaux *)((unsigned char *)vn + vn->vn_aux);
            for (int j = 0; j < vn->vn_cnt; j++) {
                if (strcmp(strtab + aux->vna_name, wanted) == 0) {
                    int changed = !(aux->vna_flags & VER_FLG_WEAK);
                    if (changed) {
                        aux->vna_flags |= VER_FLG_WEAK;
                        fseek(f, (long)((unsigned char *)&aux->vna_flags - buf), SEEK_SET);
                        if (fwrite(&aux->vna_flags, sizeof aux->vna_flags, 1, f) != 1) { fprintf(stderr, "cannot write %s\n", argv[1]); return 2; }
                    }
                    if (fclose(f)) { fprintf(stderr, "cannot write %s\n", argv[1]); return 2; }
                    puts(changed ? "changed" : "unchanged");
                    return 0;
                }
                aux = (Elf64_Vernaux *)((unsigned char *)aux + aux->vna_next);
            }
            if (!vn->vn_next) break;
            vn = (Elf64_Verneed *)((unsigned char *)vn + vn->vn_next);
        }
    }
    fclose(f);
    puts("unchanged");
    return 0;
}
