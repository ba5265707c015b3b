#!/usr/bin/env bash
# Makes TorchSharp's native library load on hosts whose libstdc++ predates GCC 13 (e.g. Debian 12), where
# libLibTorchSharp.so asks for GLIBCXX_3.4.32 for a single symbol, std::ios_base_library_init().
# Run by the build (Directory.Build.targets) on every output folder holding libLibTorchSharp.so; does nothing
# on hosts that have GLIBCXX_3.4.32 or when the copy in DIR is already patched. See environment.md.
set -euo pipefail
dir=${1:?usage: fix-libtorchsharp.sh NATIVE_DIR}
lib="$dir/libLibTorchSharp.so"
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$lib" ] || exit 0

libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa GLIBCXX_3.4.32 "$libstdcxx"; then exit 0; fi

shim=libwebgen-iosinit.so
if readelf -d "$lib" | grep -q "\[$shim\]" && [ -f "$dir/$shim" ]; then exit 0; fi

for tool in gcc g++ patchelf readelf; do
  command -v "$tool" >/dev/null || { echo "fix-libtorchsharp: '$tool' is missing; run ./webgen setup (apt-get install build-essential patchelf)" >&2; exit 1; }
done
obj="$here/obj"
mkdir -p "$obj"
[ "$obj/weaken-glibcxx" -nt "$here/weaken-glibcxx.c" ] || gcc -O2 -o "$obj/weaken-glibcxx" "$here/weaken-glibcxx.c"
[ "$obj/$shim" -nt "$here/ios_base_library_init.cpp" ] || g++ -shared -fPIC -O2 -o "$obj/$shim" "$here/ios_base_library_init.cpp"

cp "$obj/$shim" "$dir/$shim"
"$obj/weaken-glibcxx" "$lib" >/dev/null
patchelf --add-needed "$shim" "$lib"
echo "fix-libtorchsharp: patched $lib for this host's libstdc++ (no GLIBCXX_3.4.32)"
