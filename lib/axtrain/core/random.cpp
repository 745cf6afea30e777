#include "axtrain/core/random.h"

#include <algorithm>
#include <cmath>

#include <Random123/philox.h>

namespace ax::rng {

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AX_RNG_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AX_RNG_CLONES
#endif

constexpr std::int64_t kBlocks = 64;  // Philox blocks per kernel call: a whole number of vectors

constexpr std::uint32_t kM0 = PHILOX_M4x32_0, kM1 = PHILOX_M4x32_1;
constexpr std::uint32_t kW0 = PHILOX_W32_0, kW1 = PHILOX_W32_1;

// Philox4x32-10 of the counters (b0 + j, b_hi, s0, s1), j < kBlocks, b0 a multiple of kBlocks,
// written as structure-of-arrays so that the 32×32→64-bit products vectorise (vpmuludq). The same
// function as Random123's philox4x32 (tests/unit/core/random_test.cpp checks it word for word).
AX_RNG_CLONES void philox_blocks(std::uint32_t* __restrict w0, std::uint32_t* __restrict w1,
                                 std::uint32_t* __restrict w2, std::uint32_t* __restrict w3, std::uint32_t b0,
                                 std::uint32_t b_hi, std::uint32_t s0, std::uint32_t s1, std::uint32_t k0,
                                 std::uint32_t k1) {
  for (std::int64_t j = 0; j < kBlocks; ++j) {
    w0[j] = b0 + static_cast<std::uint32_t>(j);
    w1[j] = b_hi;
    w2[j] = s0;
    w3[j] = s1;
  }
  std::uint32_t a = k0, b = k1;
  for (int r = 0; r < 10; ++r) {
    for (std::int64_t j = 0; j < kBlocks; ++j) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * w0[j];
      const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * w2[j];
      // The low halves as 32-bit products (vpmulld) rather than taken from p0, p1: GCC then needs
      // no shuffles to pack them, 1.4× faster here.
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = kM0 * w0[j];
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = kM1 * w2[j];
      w0[j] = hi1 ^ w1[j] ^ a;
      w1[j] = lo1;
      w2[j] = hi0 ^ w3[j] ^ b;
      w3[j] = lo0;
    }
    a += kW0;
    b += kW1;
  }
}

// Box–Muller of word pairs (a[j], b[j]) into (z0[j], z1[j]). A fixed trip count, a multiple of
// every vector width, so each number comes out of a vector lane — never out of a scalar remainder
// loop, whose log and sin round differently — and a slice of a stream is bit-identical to the
// same numbers of the whole.
AX_RNG_CLONES void box_muller(const std::uint32_t* __restrict a, const std::uint32_t* __restrict b,
                              float* __restrict z0, float* __restrict z1) {
  for (std::int64_t j = 0; j < kBlocks; ++j) {
    const float u1 = (static_cast<float>(a[j] >> 8) + 0.5f) * 0x1p-24f;  // (0, 1)
    const float u2 = static_cast<float>(b[j] >> 8) * 0x1p-24f;           // [0, 1)
    const float r = std::sqrt(-2.0f * std::log(u1));
    const float t = 6.28318530717958647692f * u2;
    // sin(t + π/2) rather than cos(t): GCC fuses sin and cos of one argument into sincos, which
    // has no vector version, and the loop would stay scalar.
    z0[j] = r * std::sin(t + 1.57079632679489661923f);
    z1[j] = r * std::sin(t);
  }
}

struct Words {
  alignas(64) std::uint32_t w[4][kBlocks];
};

void kernel(Words& out, const Stream& s, std::uint64_t b0) {
  philox_blocks(out.w[0], out.w[1], out.w[2], out.w[3], static_cast<std::uint32_t>(b0),
                static_cast<std::uint32_t>(b0 >> 32), static_cast<std::uint32_t>(s.step),
                static_cast<std::uint32_t>(s.step >> 32), static_cast<std::uint32_t>(s.key),
                static_cast<std::uint32_t>(s.key >> 32));
}

// Calls f(block0, values) for each run of kBlocks blocks that meets items [first, first + n) with
// `per_block` items per block, and copies the items that fall inside into out.
template <class T, int kPerBlock, class Make>
void fill(T* out, std::int64_t n, std::uint64_t first, Make make) {
  alignas(64) T v[kPerBlock * kBlocks];
  const std::uint64_t end = first + static_cast<std::uint64_t>(n);
  std::uint64_t k = first;
  while (k < end) {
    const std::uint64_t b0 = k / kPerBlock / kBlocks * kBlocks;
    make(v, b0);
    const std::uint64_t base = b0 * kPerBlock;
    const std::uint64_t stop = std::min(end, base + kPerBlock * kBlocks);
    std::copy(v + (k - base), v + (stop - base), out + (k - first));
    k = stop;
  }
}

}  // namespace

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a ^ (b * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::array<std::uint32_t, 4> block(const Stream& s, std::uint64_t b) {
  r123::Philox4x32 g;
  const r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32),
                                         static_cast<std::uint32_t>(s.step),
                                         static_cast<std::uint32_t>(s.step >> 32)}};
  const r123::Philox4x32::key_type k = {{static_cast<std::uint32_t>(s.key), static_cast<std::uint32_t>(s.key >> 32)}};
  const r123::Philox4x32::ctr_type r = g(c, k);
  return {r[0], r[1], r[2], r[3]};
}

void fill_u32(std::uint32_t* out, std::int64_t n, const Stream& s, std::uint64_t first) {
  fill<std::uint32_t, 4>(out, n, first, [&](std::uint32_t* v, std::uint64_t b0) {
    Words w;
    kernel(w, s, b0);
    for (std::int64_t j = 0; j < kBlocks; ++j)
      for (int c = 0; c < 4; ++c) v[4 * j + c] = w.w[c][j];
  });
}

void fill_standard_normal(float* out, std::int64_t n, const Stream& s, std::uint64_t first) {
  fill<float, 4>(out, n, first, [&](float* v, std::uint64_t b0) {
    Words w;
    kernel(w, s, b0);
    alignas(64) float z[4][kBlocks];
    box_muller(w.w[0], w.w[1], z[0], z[1]);
    box_muller(w.w[2], w.w[3], z[2], z[3]);
    for (std::int64_t j = 0; j < kBlocks; ++j)
      for (int c = 0; c < 4; ++c) v[4 * j + c] = z[c][j];
  });
}

}  // namespace ax::rng
