// `ntv` weight storage: flip statistics per bit position, exact quantise-dequantise at rate 0,
// planted words, determinism, the straight-through estimators, composition with arithmetic.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/ntv/flips.h"
#include "test_util.h"

namespace ax {
namespace {

using hw::MacOp;

hw::WeightStorage& storage_of(hw::LayerHardware& h) {
  if (!h.storage()) throw std::runtime_error("no storage attached");
  return *h.storage();
}

// One read of the stored weight with the layer's draws at `step`.
torch::Tensor read_at(hw::LayerHardware& h, const torch::Tensor& w, std::uint64_t step = 0) {
  h.set_step(step);
  return storage_of(h).read(w, h.draws(rng::Draw::StorageFlips));
}

// 16-bit two's complement with I = floor(log2 max|w|) + 1 integer bits (here computed with log2).
double qdq16(double v, double max_abs) {
  const int I = static_cast<int>(std::floor(std::log2(max_abs))) + 1;
  const double step = std::pow(2.0, I - 15);
  return std::clamp(std::nearbyint(v / step), -32768.0, 32767.0) * step;
}

TEST(Ntv, FlipFrequencyPerBitPositionIsBinomial) {
  for (double p : {0.1, 0.01, 0.001}) {
    auto h = test::make_hw(fmt::format("{{type: ntv, flip_rate: {}}}", p));
    torch::manual_seed(1);
    torch::Tensor w = torch::rand({64, 64}) - 0.5;  // max|w| < 0.5: I = -1, fraction bits 16
    const double scale = 65536.0;
    torch::Tensor words = torch::round(w.to(torch::kFloat64) * scale).to(torch::kInt64);
    const int reads = p < 0.005 ? 60 : 12;
    std::vector<double> count(16, 0.0);
    double total = 0;
    for (int r = 0; r < reads; ++r) {
      torch::Tensor v = read_at(*h, w, r).detach();
      torch::Tensor got = torch::round(v.to(torch::kFloat64) * scale).to(torch::kInt64);
      torch::Tensor diff = torch::bitwise_xor(got, words) & 0xffff;  // low 16 bits = the stored word
      for (int b = 0; b < 16; ++b) {
        double c = torch::bitwise_and(diff, std::int64_t{1} << b).ne(0).sum().item<double>();
        count[b] += c;
        total += c;
      }
    }
    const double n = static_cast<double>(w.numel()) * reads, mean = n * p, sd = std::sqrt(n * p * (1 - p));
    for (int b = 0; b < 16; ++b)
      EXPECT_NEAR(count[b], mean, 4 * sd) << "p " << p << ", bit " << b;
    EXPECT_NEAR(total, 16 * mean, 4 * std::sqrt(16.0) * sd) << "p " << p;
    auto s = h->stats()["storage"];
    EXPECT_EQ(s["reads"].get<std::int64_t>(), reads);
    EXPECT_NEAR(s["flips_per_read"].get<double>(), total / reads, 1e-9);
  }
}

TEST(Ntv, ZeroRateEqualsQuantiseDequantise) {
  auto h = test::make_hw("{type: ntv, flip_rate: 0}");
  torch::manual_seed(2);
  torch::Tensor w = torch::randn({300}, torch::kFloat64) * 0.1;
  w[0] = 0.99999;   // max|w|: I = 0, 15 fraction bits; 32767.67 rounds to 2^15, saturates at 32767
  w[1] = -0.99999;  // −32768 is a two's-complement word: −1.0
  w[2] = 0.5;
  w[3] = 1e-7;      // below half a step: 0
  const double m = w.abs().max().item<double>();
  torch::Tensor v = read_at(*h, w, 0);
  for (std::int64_t i = 0; i < w.numel(); ++i)
    EXPECT_EQ(v[i].item<double>(), qdq16(w[i].item<double>(), m)) << i;
  // Fixed integer bits: the [−1, 1) format with 15 fraction bits, saturating.
  auto f = test::make_hw("{type: ntv, flip_rate: 0, integer_bits: 0}");
  torch::Tensor big = torch::tensor({0.3, 1.5, -2.0, 0.99999}, torch::kFloat64);
  torch::Tensor vb = read_at(*f, big);
  EXPECT_EQ(vb[0].item<double>(), std::nearbyint(0.3 * 32768) / 32768);
  EXPECT_EQ(vb[1].item<double>(), 32767.0 / 32768);
  EXPECT_EQ(vb[2].item<double>(), -1.0);
  EXPECT_EQ(vb[3].item<double>(), 32767.0 / 32768);
}

TEST(Ntv, PlantedWordsDecodeToHandValues) {
  namespace n = hw::ntv;
  // 0.3 with 16-bit words and 16 fraction bits: round(0.3 · 65536) = round(19660.8) = 19661 = 0x4CCD.
  EXPECT_EQ(n::fraction_bits(0.3, 16), 16);
  EXPECT_EQ(n::encode(0.3, 16, 16), 0x4CCDu);
  // Sign bit (15) flipped: 0xCCCD = 19661 − 32768 = −13107 → −13107 / 65536.
  EXPECT_EQ(n::decode(0x4CCDu ^ 0x8000u, 16, 16), -13107.0 / 65536.0);
  // Bit 0 flipped: 19660 / 65536; bit 14 flipped: 19661 − 16384 = 3277.
  EXPECT_EQ(n::decode(0x4CCDu ^ 0x0001u, 16, 16), 19660.0 / 65536.0);
  EXPECT_EQ(n::decode(0x4CCDu ^ 0x4000u, 16, 16), 3277.0 / 65536.0);
  // −0.3 → −19661 = 0xB333 (16-bit two's complement); sign flip → 0x3333 = 13107.
  EXPECT_EQ(n::encode(-0.3, 16, 16), 0xB333u);
  EXPECT_EQ(n::decode(0xB333u ^ 0x8000u, 16, 16), 13107.0 / 65536.0);
  // 8-bit words, max|w| = 3 → I = 2, 5 fraction bits: 2.5 → 80 = 0x50; sign flip → 80 − 128 = −48.
  EXPECT_EQ(n::fraction_bits(3.0, 8), 5);
  EXPECT_EQ(n::decode(n::encode(2.5, 8, 5) ^ 0x80u, 8, 5), -48.0 / 32.0);
  // Through the storage: flip_rate 1 flips every bit, i.e. ~q = −q − 1.
  auto h = test::make_hw("{type: ntv, flip_rate: 1}");
  torch::Tensor v = read_at(*h, torch::tensor({0.3, -0.3, 0.0}, torch::kFloat64));
  EXPECT_EQ(v[0].item<double>(), -19662.0 / 65536.0);
  EXPECT_EQ(v[1].item<double>(), 19660.0 / 65536.0);
  EXPECT_EQ(v[2].item<double>(), -1.0 / 65536.0);
  EXPECT_EQ(h->stats()["storage"]["flips_per_read"].get<double>(), 48.0);
}

TEST(Ntv, DeterministicPerSeed) {
  auto h = test::make_hw("{type: ntv, flip_rate: 0.01}");
  torch::manual_seed(0);
  torch::Tensor w = torch::randn({50000}) * 0.05;
  torch::Tensor a = read_at(*h, w, 5);
  torch::Tensor a2 = read_at(*h, w, 6);  // the next step: a fresh pattern
  torch::Tensor b = read_at(*h, w, 5);
  auto other = test::make_hw("{type: ntv, flip_rate: 0.01}", "layer", 2);  // another layer key
  torch::Tensor c = read_at(*other, w, 5);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, a2));
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(Ntv, StraightThroughEstimators) {
  torch::manual_seed(3);
  torch::Tensor w0 = torch::randn({6}) * 0.1;
  torch::Tensor up = torch::tensor({0.5f, -0.99f, 1.0f, -1.0f, 2.5f, -7.0f});
  for (const char* ste : {"plain", "clipped"}) {
    auto h = test::make_hw(fmt::format("{{type: ntv, flip_rate: 0.1, ste: {}}}", ste));
    torch::Tensor w = w0.clone().requires_grad_(true);
    torch::Tensor g = torch::autograd::grad({(read_at(*h, w) * up).sum()}, {w})[0];
    torch::Tensor want = std::string(ste) == "plain" ? up : torch::tensor({0.5f, -0.99f, 0.f, 0.f, 0.f, 0.f});
    EXPECT_TRUE(torch::equal(g, want)) << ste;
  }
}

TEST(Ntv, EvalOnlyFlipsOnlyInEvalMode) {
  auto h = test::make_hw("{type: ntv, flip_rate: 0.1, flip_in: eval_only}");
  torch::manual_seed(4);
  torch::Tensor w = torch::randn({1000}, torch::kFloat64) * 0.1;
  const double m = w.abs().max().item<double>();
  torch::Tensor v = read_at(*h, w, 0);
  for (std::int64_t i = 0; i < 1000; i += 97) EXPECT_EQ(v[i].item<double>(), qdq16(w[i].item<double>(), m));
  h->eval();
  EXPECT_GT((read_at(*h, w, 0) != v).sum().item<std::int64_t>(), 500);
}

TEST(Ntv, HardwareTypeAndStorageCompose) {
  EXPECT_THROW(test::make_hw("{type: ntv, storage: {type: ntv}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: ntv, flip_rate: 1.5}"), ConfigError);
  // fixed_point and analog arithmetic reading ntv storage: the output is the arithmetic applied to
  // the weights as read (same seed), and at rate 0 to the 16-bit quantised weights.
  const MacOp conv{MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(6);
  torch::Tensor x = torch::rand({2, 3, 6, 6}), w = torch::randn({4, 3, 3, 3}) * 0.2;
  for (const char* arith : {"{type: fixed_point}", "{type: analog}"}) {
    std::string base(arith);
    base.pop_back();
    auto h = test::make_hw(base + ", storage: {type: ntv, flip_rate: 0.01}}");
    auto plain = test::make_hw(arith);
    torch::NoGradGuard g;
    torch::manual_seed(7);
    torch::Tensor y = h->forward(x, h->read_weight(w, hw::Mode::Exact), conv, hw::Mode::Exact);
    torch::manual_seed(7);
    torch::Tensor wr = read_at(*h, w);
    EXPECT_FALSE(torch::equal(wr, w));
    EXPECT_TRUE(torch::equal(y, plain->exact(x, wr, conv))) << arith;
    EXPECT_TRUE(torch::equal(h->read_weight(w, hw::Mode::Ideal), w)) << "mode ideal reads no faults";
    auto z = test::make_hw(base + ", storage: {type: ntv, flip_rate: 0}}");
    plain = test::make_hw(arith);  // a fresh layer (analog calibrates on its first batch)
    const double m = w.abs().max().item<double>();
    torch::Tensor wq = w.to(torch::kFloat64).clone();
    for (std::int64_t i = 0; i < wq.numel(); ++i) wq.view(-1)[i] = qdq16(wq.view(-1)[i].item<double>(), m);
    torch::Tensor yz = z->forward(x, z->read_weight(w, hw::Mode::Exact), conv, hw::Mode::Exact);
    EXPECT_TRUE(torch::equal(yz, plain->exact(x, wq.to(torch::kFloat32), conv))) << arith;
  }
}

}  // namespace
}  // namespace ax
