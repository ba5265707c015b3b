// GCC 13 moved iostream start-up into std::ios_base_library_init(); libLibTorchSharp.so was linked against it.
// On older libstdc++ (Debian 12) this library provides the symbol so the weakened requirement resolves.
#include <ios>
namespace std {
void ios_base_library_init() { static ios_base::Init init; }
}
