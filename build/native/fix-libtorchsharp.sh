#!/usr/bin/env bash
# Makes TorchSharp's native library load on hosts whose libstdc++ predates GCC 13 (e.g. Debian 12), where
# libLibTorchSharp.so asks for GLIBCXX_3.4.32 for a single symbol, std::ios_base_library_init(). No relocation
# refers to that symbol (GCC 13's <iostream> names it only to pull in the version), so marking the requirement weak
# is enough: the loader then accepts the older libstdc++ and never looks the symbol up.
# Run by the build (Directory.Build.targets) on every output folder holding libLibTorchSharp.so; does nothing
# on hosts that have GLIBCXX_3.4.32 or when the copy in DIR is already weak. See environment.md.
set -euo pipefail
dir=${1:?usage: fix-libtorchsharp.sh NATIVE_DIR}
lib="$dir/libLibTorchSharp.so"
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$lib" ] || exit 0

libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa GLIBCXX_3.4.32 "$libstdcxx"; then exit 0; fi

command -v gcc >/dev/null || { echo "fix-libtorchsharp: 'gcc' is missing; run ./webgen setup (apt-get install gcc libc6-dev)" >&2; exit 1; }
obj="$here/obj"
mkdir -p "$obj"
[ "$obj/weaken-glibcxx" -nt "$here/weaken-glibcxx.c" ] || gcc -O2 -o "$obj/weaken-glibcxx" "$here/weaken-glibcxx.c"

result=$("$obj/weaken-glibcxx" "$lib") # a failure stops the build here (set -e)
if [ "$result" = changed ]; then
  echo "fix-libtorchsharp: marked $lib's GLIBCXX_3.4.32 requirement weak for this host's libstdc++"
fi
