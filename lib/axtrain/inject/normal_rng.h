// Standard normal numbers for the injected noise, from a counter-based generator: number k of
// the stream `seed` is a pure function z(seed, k) (two rounds of the lowbias32 integer hash per
// 32-bit word, then Box–Muller on the pair k/2), so any slice of a stream is produced on its own —
// by several threads at once, or again later — with no shared generator state. It is vectorised
// (libmvec log/sin under -ffast-math, built for AVX-512, AVX2 and baseline x86-64 and picked at
// run time): about 1 ns per number on one core, against about 10 for torch::randn's serial
// mt19937. The values can differ in the last bits between those builds (different vector math),
// so a run is reproducible per seed on one machine type.
#pragma once
#include <cstdint>

namespace ax::inject {

// out[i] = z(seed, first + i) for i in [0, n).
void fill_standard_normal(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t first);

}  // namespace ax::inject
