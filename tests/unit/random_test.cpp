// core/random.h against independent truths: Random123's published known-answer vectors and its
// own philox4x32 (word for word), the normal distribution's closed forms, and Box–Muller
// recomputed in double from the block words.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <Random123/philox.h>
#include <torch/torch.h>

#include "axtrain/core/random.h"

namespace ax {
namespace {

// Known-answer vectors of Philox4x32-10 from Random123's kat_vectors file (counter, key → out).
TEST(Random, PhiloxMatchesRandom123KnownAnswers) {
  struct Kat {
    std::uint64_t ctr_lo, step, key;
    std::array<std::uint32_t, 4> out;
  };
  const Kat kats[] = {
      {0, 0, 0, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull,
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {0x85a308d3243f6a88ull, 0x0370734413198a2eull, 0x299f31d0a4093822ull,
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) EXPECT_EQ(rng::block(rng::Stream{k.key, k.step}, k.ctr_lo), k.out) << std::hex << k.key;
}

// The vectorised words equal Random123's scalar philox4x32 for every word of several slices,
// including slices that start inside a block and cross the kernel's 64-block runs and the 2³²
// boundary of the counter's low word.
TEST(Random, WordsAreRandom123PhiloxWordForWord) {
  const rng::Stream s{0x0123456789abcdefull, rng::eval_step(77, 5)};
  r123::Philox4x32 g;
  for (auto [first, n] : {std::pair<std::uint64_t, std::int64_t>{0, 1}, {3, 5}, {250, 300}, {1023, 2050},
                          {(std::uint64_t{1} << 34) - 6, 20}}) {
    std::vector<std::uint32_t> w(static_cast<std::size_t>(n));
    rng::fill_u32(w.data(), n, s, first);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint64_t k = first + static_cast<std::uint64_t>(i), b = k / 4;
      r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32),
                                       static_cast<std::uint32_t>(s.step), static_cast<std::uint32_t>(s.step >> 32)}};
      r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(s.key), static_cast<std::uint32_t>(s.key >> 32)}};
      ASSERT_EQ(w[static_cast<std::size_t>(i)], g(c, key)[k % 4]) << first << "+" << i;
    }
  }
  // The sequential reader gives the same words from a block on.
  rng::Sequence seq(s, 9);
  std::vector<std::uint32_t> w(12);
  rng::fill_u32(w.data(), 12, s, 36);
  for (std::uint32_t x : w) EXPECT_EQ(seq.u32(), x);
}

// The normal numbers against the normal distribution's closed forms: moments, the CDF at five
// points (Φ(−1.96), Φ(−1), Φ(0), Φ(1), Φ(1.96)), no correlation between neighbours or between
// streams of neighbouring keys or steps, and any slice equal to the same numbers of the whole.
TEST(Random, NormalsAreStandardNormalAndSliceable) {
  const std::int64_t n = 1 << 21;
  const rng::Stream s{0x1234'5678'9abcULL, 3};
  std::vector<float> z(n), other_key(n), other_step(n);
  rng::fill_standard_normal(z.data(), n, s, 0);
  rng::fill_standard_normal(other_key.data(), n, rng::Stream{s.key + 1, s.step}, 0);
  rng::fill_standard_normal(other_step.data(), n, rng::Stream{s.key, s.step + 1}, 0);
  torch::Tensor t = torch::from_blob(z.data(), {n}).to(torch::kFloat64);
  const double se = 1.0 / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(t.mean().item<double>(), 0.0, 4 * se);
  EXPECT_NEAR(t.var().item<double>(), 1.0, 4 * se * std::sqrt(2.0));
  EXPECT_NEAR((t * t * t * t).mean().item<double>(), 3.0, 4 * se * std::sqrt(96.0));  // kurtosis
  for (double x : {-1.96, -1.0, 0.0, 1.0, 1.96}) {
    const double phi = 0.5 * std::erfc(-x / std::sqrt(2.0));
    EXPECT_NEAR((t < x).to(torch::kFloat64).mean().item<double>(), phi, 4 * se * std::sqrt(phi * (1 - phi))) << x;
  }
  auto corr = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return ((a - a.mean()) * (b - b.mean())).mean().item<double>() / (a.std() * b.std()).item<double>();
  };
  EXPECT_NEAR(corr(t.slice(0, 0, n - 1), t.slice(0, 1, n)), 0.0, 4 * se);  // within and across pairs
  EXPECT_NEAR(corr(t.slice(0, 0, n - 2), t.slice(0, 2, n)), 0.0, 4 * se);
  EXPECT_NEAR(corr(t.slice(0, 0, n - 4), t.slice(0, 4, n)), 0.0, 4 * se);  // across blocks
  EXPECT_NEAR(corr(t, torch::from_blob(other_key.data(), {n}).to(torch::kFloat64)), 0.0, 4 * se);
  EXPECT_NEAR(corr(t, torch::from_blob(other_step.data(), {n}).to(torch::kFloat64)), 0.0, 4 * se);
  for (auto [first, len] : {std::pair<std::int64_t, std::int64_t>{0, 1}, {1, 1}, {137, 1000}, {511, 2}, {4095, 9000}}) {
    std::vector<float> part(static_cast<std::size_t>(len));
    rng::fill_standard_normal(part.data(), len, s, static_cast<std::uint64_t>(first));
    for (std::int64_t i = 0; i < len; ++i) ASSERT_EQ(part[i], z[first + i]) << first << "+" << i;
  }
}

// Numbers 4b … 4b + 3 are Box–Muller of block b's words, as the header states (float vector math:
// within 1e-4 of the double computation).
TEST(Random, NormalsAreBoxMullerOfTheBlockWords) {
  const rng::Stream s{42, rng::train_step(1000)};
  std::vector<float> z(64);
  rng::fill_standard_normal(z.data(), 64, s, 0);
  for (std::uint64_t b = 0; b < 16; ++b) {
    const std::array<std::uint32_t, 4> w = rng::block(s, b);
    for (int h = 0; h < 2; ++h) {
      const double u1 = (std::floor(w[2 * h] / 256.0) + 0.5) / 16777216.0;
      const double u2 = std::floor(w[2 * h + 1] / 256.0) / 16777216.0;
      const double r = std::sqrt(-2.0 * std::log(u1));
      EXPECT_NEAR(z[4 * b + 2 * h], r * std::cos(2 * M_PI * u2), 1e-4) << b;
      EXPECT_NEAR(z[4 * b + 2 * h + 1], r * std::sin(2 * M_PI * u2), 1e-4) << b;
    }
  }
}

// The step spaces never meet, and sub-streams of one owner are independent keys.
TEST(Random, StepSpacesAndSubStreamsAreDisjoint) {
  EXPECT_NE(rng::train_step(5), rng::calibration_step(5));
  EXPECT_NE(rng::train_step(5), rng::eval_step(0, 5));
  EXPECT_NE(rng::calibration_step(5), rng::eval_step(0, 5));
  EXPECT_NE(rng::eval_step(1, 5), rng::eval_step(2, 5));
  const rng::Stream s{7, 0};
  EXPECT_NE(s.sub(rng::Draw::Noise).key, s.sub(rng::Draw::StorageFlips).key);
  EXPECT_NE(s.sub(0).key, s.sub(1).key);
  EXPECT_EQ(s.sub(3).step, s.step);
}

}  // namespace
}  // namespace ax
