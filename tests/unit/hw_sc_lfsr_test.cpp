// LFSR sequences and stream generation of the `sc` model against PAPERS.md §7.1 point 3.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "axtrain/hw/sc/lfsr.h"
#include "axtrain/hw/sc/streams.h"

namespace ax::hw::sc {
namespace {

std::vector<std::uint32_t> v(std::initializer_list<std::uint32_t> l) { return l; }

TEST(ScLfsr, PaperTestVectors) {
  // PAPERS.md §7.1 point 3 (DERIVED test vectors of the rex-sc 5-bit register x⁵ + x³ + 1).
  EXPECT_EQ(lfsr_sequence(LfsrKind::Xor, 5),
            v({1, 2, 4, 9, 18, 5, 11, 22, 12, 25, 19, 7, 15, 31, 30, 28, 24, 17, 3, 6, 13, 27, 23,
               14, 29, 26, 21, 10, 20, 8, 16}));
  EXPECT_EQ(lfsr_sequence(LfsrKind::Xnor, 5),
            v({0, 1, 3, 7, 14, 28, 25, 18, 4, 8, 17, 2, 5, 10, 21, 11, 23, 15, 30, 29, 27, 22, 13,
               26, 20, 9, 19, 6, 12, 24, 16}));
  EXPECT_EQ(lfsr_sequence(LfsrKind::ZeroInserted, 5),
            v({1, 0, 2, 4, 9, 18, 5, 11, 22, 12, 25, 19, 7, 15, 31, 30, 28, 24, 17, 3, 6, 13, 27,
               23, 14, 29, 26, 21, 10, 20, 8, 16}));
  // The sequences close: the state after the last one is the seed again.
  EXPECT_EQ(lfsr_next(LfsrKind::Xor, 5, 16), 1u);
  EXPECT_EQ(lfsr_next(LfsrKind::Xnor, 5, 16), 0u);
  EXPECT_EQ(lfsr_next(LfsrKind::ZeroInserted, 5, 16), 1u);
}

TEST(ScLfsr, EveryWidthHasMaximalPeriod) {
  for (int bits = kMinLfsrBits; bits <= kMaxLfsrBits; ++bits) {
    const std::uint32_t states = 1u << bits;
    for (LfsrKind k : {LfsrKind::Xor, LfsrKind::Xnor, LfsrKind::ZeroInserted}) {
      std::vector<std::uint32_t> seq = lfsr_sequence(k, bits);
      std::set<std::uint32_t> seen(seq.begin(), seq.end());
      const std::size_t expect = k == LfsrKind::ZeroInserted ? states : states - 1;
      EXPECT_EQ(seen.size(), expect) << "bits " << bits << " kind " << static_cast<int>(k);
      EXPECT_EQ(lfsr_next(k, bits, seq.back()), seq.front()) << "bits " << bits;
      if (k == LfsrKind::Xor) { EXPECT_EQ(seen.count(0u), 0u); }
      if (k == LfsrKind::Xnor) { EXPECT_EQ(seen.count(states - 1), 0u); }
    }
  }
}

int popcount_stream(const StreamEncoder& e, std::int32_t q, std::int32_t ph) {
  int n = 0;
  if (e.length() == 32) {
    std::uint32_t w;
    e.encode(1, &q, &ph, &w);
    n = __builtin_popcount(w);
  } else {
    std::vector<std::uint64_t> w(e.slices());
    e.encode(1, &q, &ph, w.data());
    for (auto x : w) n += __builtin_popcountll(x);
  }
  return n;
}

TEST(ScStreams, ZeroInsertedStreamOfLevelQHasExactlyQOnes) {
  for (int len : {32, 64, 256, 1024}) {
    StreamEncoder e(LfsrKind::ZeroInserted, len);
    ASSERT_EQ(e.period(), len);
    for (std::int32_t q = 0; q <= len; q += (len > 64 ? 7 : 1))
      for (std::int32_t ph = 0; ph < len; ph += (len > 64 ? 13 : 1))
        ASSERT_EQ(popcount_stream(e, q, ph), q) << "L " << len << " level " << q << " phase " << ph;
  }
}

TEST(ScStreams, StreamBitsFollowTheComparator) {
  // XOR form, L = 32: bit t = [q > r[(t + phase) mod 31]] with r the paper's vector.
  const std::vector<std::uint32_t> r = {1,  2,  4,  9,  18, 5,  11, 22, 12, 25, 19, 7,  15, 31, 30, 28,
                                        24, 17, 3,  6,  13, 27, 23, 14, 29, 26, 21, 10, 20, 8,  16};
  StreamEncoder e(LfsrKind::Xor, 32);
  for (std::int32_t q : {0, 1, 2, 10, 31, 32})
    for (std::int32_t ph : {0, 5, 30}) {
      std::uint32_t w;
      e.encode(1, &q, &ph, &w);
      for (int t = 0; t < 32; ++t)
        EXPECT_EQ((w >> t) & 1u, static_cast<std::uint32_t>(static_cast<std::uint32_t>(q) > r[(t + ph) % 31]))
            << "q " << q << " phase " << ph << " t " << t;
    }
  // The XOR form never produces state 0, so level 1 gives an empty stream and level 32 a full one.
  EXPECT_EQ(popcount_stream(e, 1, 0), 0);
  EXPECT_EQ(popcount_stream(e, 32, 7), 32);
}

TEST(ScStreams, FlipsAreBernoulliAndKeyedBySeed) {
  const std::int64_t n = 1 << 15;  // 2^20 bits
  for (double p : {0.01, 0.1, 0.5}) {
    std::vector<std::uint32_t> a(n, 0u), b(n, 0u);
    flip_bits(a.data(), n, p, rng::Stream{1234, 0});
    flip_bits(b.data(), n, p, rng::Stream{1234, 0});
    EXPECT_EQ(a, b);
    double ones = 0, per_position[32] = {};
    for (auto w : a) {
      ones += __builtin_popcount(w);
      for (int t = 0; t < 32; ++t) per_position[t] += (w >> t) & 1u;
    }
    const double bits = 32.0 * n, sd = std::sqrt(bits * p * (1 - p));
    EXPECT_NEAR(ones, bits * p, 5 * sd) << "p " << p;
    // Every bit position flips at the same rate.
    for (int t = 0; t < 32; ++t) EXPECT_NEAR(per_position[t], n * p, 5 * std::sqrt(n * p * (1 - p)));
  }
  std::vector<std::uint64_t> all(100, 0), none(100, 0);
  flip_bits(all.data(), 100, 1.0, rng::Stream{7, 0});
  flip_bits(none.data(), 100, 0.0, rng::Stream{7, 0});
  for (auto w : all) EXPECT_EQ(w, ~std::uint64_t{0});
  for (auto w : none) EXPECT_EQ(w, 0u);
}

}  // namespace
}  // namespace ax::hw::sc
