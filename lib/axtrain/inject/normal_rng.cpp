#include "axtrain/inject/normal_rng.h"

#include <algorithm>
#include <cmath>

namespace ax::inject {

namespace {

inline std::uint32_t lowbias32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AX_RNG_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AX_RNG_CLONES
#endif

constexpr std::int64_t kBlock = 64;  // pairs per kernel call, a whole number of vectors

// z0[j], z1[j] = the two normals of pair p0 + j, j < kBlock, with p0 a multiple of kBlock. The
// trip count is a constant multiple of every vector width, so each number comes out of a vector
// lane — never out of a scalar remainder loop, whose log and sin round differently — and a slice
// of a stream is bit-identical to the same numbers of the whole. Pairs are numbered mod 2^32 within
// the key (k0, k1); the caller folds the pair's high bits into k1.
AX_RNG_CLONES void normal_pairs(float* __restrict z0, float* __restrict z1, std::uint32_t p0, std::uint32_t k0,
                                std::uint32_t k1) {
  for (std::int64_t j = 0; j < kBlock; ++j) {
    const std::uint32_t c = p0 + static_cast<std::uint32_t>(j);
    const std::uint32_t a = lowbias32(lowbias32(2U * c + k0) ^ k1);
    const std::uint32_t b = lowbias32(lowbias32(2U * c + 1U + k0) ^ k1);
    const float u1 = (static_cast<float>(a >> 8) + 0.5f) * 0x1p-24f;  // (0, 1)
    const float u2 = static_cast<float>(b >> 8) * 0x1p-24f;           // [0, 1)
    const float r = std::sqrt(-2.0f * std::log(u1));
    const float t = 6.28318530717958647692f * u2;
    // sin(t + π/2) rather than cos(t): GCC fuses sin and cos of one argument into sincos, which
    // has no vector version, and the loop would stay scalar.
    z0[j] = r * std::sin(t + 1.57079632679489661923f);
    z1[j] = r * std::sin(t);
  }
}

}  // namespace

void fill_standard_normal(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t first) {
  alignas(64) float z0[kBlock];
  alignas(64) float z1[kBlock];
  const auto k0 = static_cast<std::uint32_t>(seed);
  const std::uint64_t end = first + static_cast<std::uint64_t>(n);
  std::uint64_t k = first;
  while (k < end) {
    const std::uint64_t p0 = (k >> 1) / kBlock * kBlock;
    const auto k1 = static_cast<std::uint32_t>(seed >> 32) ^ (0x9e3779b9U * static_cast<std::uint32_t>(p0 >> 32));
    normal_pairs(z0, z1, static_cast<std::uint32_t>(p0), k0, k1);
    const std::uint64_t block_end = std::min(end, 2 * (p0 + kBlock));
    for (; k < block_end; ++k) {
      const std::uint64_t j = (k >> 1) - p0;
      out[k - first] = (k & 1) ? z1[j] : z0[j];
    }
  }
}

}  // namespace ax::inject
