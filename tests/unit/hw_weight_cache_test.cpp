// Weight-derived kernel data kept between calls (hw/mac/weight_cache.h): the cache itself, and the
// layers that use it (approx_mul's expanded table and DRUM's transformed weights, analog's packed
// array weights) against independent references after the weights change in place — also through
// a raw pointer, which bumps no version counter — so stale data cannot go unnoticed.
#include <cstdlib>
#include <fstream>
#include <functional>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/nn/functional/fold.h>

#include "axtrain/hw/mac/geometry.h"
#include "axtrain/hw/mac/weight_cache.h"
#include "test_util.h"

namespace ax {
namespace {

using hw::MacOp;

TEST(WeightCache, BuildsOnceWhileKeyAndExtrasAreEqual) {
  hw::mac::WeightCache c;
  int built = 0;
  auto build = [&] { return ++built; };
  torch::Tensor k = torch::arange(12, torch::kInt32).reshape({3, 4});
  EXPECT_EQ(*c.get<int>(k, {1.0}, build), 1);
  EXPECT_EQ(*c.get<int>(k.clone(), {1.0}, build), 1);  // equal values, another tensor: a hit
  EXPECT_EQ(*c.get<int>(k, {2.0}, build), 2);          // another extra
  k.data_ptr<std::int32_t>()[5] = 99;                  // in place, no version bump
  EXPECT_EQ(*c.get<int>(k, {2.0}, build), 3);
  EXPECT_EQ(*c.get<int>(k.reshape({4, 3}), {2.0}, build), 4);  // same values, other shape
  EXPECT_EQ(*c.get<int>(k.reshape({4, 3}).to(torch::kInt64), {2.0}, build), 5);  // other dtype
  EXPECT_EQ(c.builds(), 5);
  EXPECT_EQ(c.hits(), 1);
}

TEST(WeightCache, ScaleOutputEqualsTheThreeStepConversion) {
  torch::manual_seed(3);
  for (auto acc_type : {torch::kInt32, torch::kInt64})
    for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
      torch::Tensor acc = torch::randint(-(1 << 30), 1 << 30, {70001}, torch::TensorOptions().dtype(acc_type));
      const double scale = 1.0 / 3.0 * 1e-5;
      torch::Tensor want = (acc.to(torch::kFloat64) * scale).to(dtype);
      torch::Tensor got = hw::mac::scale_output(acc, scale, dtype, torch::kCPU);
      EXPECT_EQ(got.scalar_type(), dtype);
      EXPECT_TRUE(torch::equal(got, want));
    }
}

// Σ over the unfolded patches of sign(a)·sign(w)·m(|a|, |w|) (torch's unfold, not our im2col).
torch::Tensor reference(const torch::Tensor& a, const torch::Tensor& wc, const MacOp& op,
                        const std::function<std::int64_t(std::int64_t, std::int64_t)>& m) {
  const bool conv = op.kind == MacOp::Kind::Conv2d;
  torch::Tensor cols = conv ? torch::nn::functional::unfold(a.to(torch::kFloat64),
                                                            torch::nn::functional::UnfoldFuncOptions({wc.size(2), wc.size(3)})
                                                                .padding(op.padding)
                                                                .stride(op.stride))
                                  .to(torch::kInt64)                       // [N, K, L]
                            : a.to(torch::kInt64).unsqueeze(2);            // [N, K, 1]
  torch::Tensor w2 = wc.reshape({wc.size(0), -1}).to(torch::kInt64);      // [O, K]
  const std::int64_t N = cols.size(0), K = cols.size(1), L = cols.size(2), O = w2.size(0);
  torch::Tensor out = torch::zeros({N, O, L}, torch::kInt64);
  auto ca = cols.accessor<std::int64_t, 3>();
  auto wa = w2.accessor<std::int64_t, 2>();
  auto oa = out.accessor<std::int64_t, 3>();
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t l = 0; l < L; ++l) {
        std::int64_t s = 0;
        for (std::int64_t k = 0; k < K; ++k) {
          const std::int64_t x = ca[n][k][l], w = wa[o][k];
          const std::int64_t p = m(std::llabs(x), std::llabs(w));
          s += (x < 0) != (w < 0) ? -p : p;
        }
        oa[n][o][l] = s;
      }
  if (!conv) return out.view({N, O});
  const std::int64_t Ho = (a.size(2) + 2 * op.padding - wc.size(2)) / op.stride + 1;
  return out.view({N, O, Ho, -1});
}

// Codes of a fixed-scale quantiser, computed here.
torch::Tensor codes(const torch::Tensor& v, double s, double hi) {
  return torch::clamp(torch::round(v / s), -hi, hi).to(torch::kInt64);
}

struct Case {
  MacOp op;
  std::vector<std::int64_t> x, w;
};

std::vector<Case> cases() {
  return {{MacOp{MacOp::Kind::Linear}, {5, 40}, {7, 40}}, {MacOp{MacOp::Kind::Conv2d, 1, 1}, {3, 4, 6, 6}, {6, 4, 3, 3}}};
}

// Runs exact() three times per case — fresh weights, unchanged weights, weights changed in place
// through a raw pointer — each against reference(codes).
void check_follows_weights(const std::string& yaml, double s, double hi, bool negative_inputs,
                           const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const MacOp&)>& ref) {
  auto h = test::make_hw(yaml);
  h->eval();
  for (const Case& c : cases()) {
    torch::manual_seed(11);
    torch::Tensor x = torch::rand(c.x) * (hi * s);
    if (negative_inputs) x = x - 0.5 * hi * s;
    torch::Tensor w = (torch::rand(c.w) * 2 - 1) * (hi * s);
    for (int round = 0; round < 3; ++round) {
      if (round == 2) {
        float* p = w.data_ptr<float>();
        p[0] = static_cast<float>(p[0] > 2 * s ? -3 * s : 5 * s);  // surely another code; no version bump
        p[w.numel() - 1] = 0.f;
      }
      torch::Tensor want = ref(codes(x, s, hi), codes(w, s, hi), c.op).to(torch::kFloat64) * (s * s);
      torch::Tensor y = h->exact(x, w, c.op);
      EXPECT_TRUE(torch::equal(y, want.to(torch::kFloat32))) << yaml << " round " << round;
    }
  }
}

TEST(WeightCache, ApproxMulTableFollowsInPlaceWeightChanges) {
  // A 4-bit table that is not a product (so a stale table row shows): T[a][b] = a·b + (a ^ b) for
  // a, b > 0, and 0 on zero operands (so padding, which the hardware skips, adds nothing either).
  const std::string path = test::temp_dir("wcache") + "/t4.txt";
  {
    std::ofstream f(path);
    f << "# name=t4 bits_a=4 bits_b=4 source=test\n";
    for (int a = 0; a < 16; ++a)
      for (int b = 0; b < 16; ++b) f << a * b + (a && b ? a ^ b : 0) << (b < 15 ? " " : "\n");
  }
  auto m = [](std::int64_t a, std::int64_t b) { return a * b + (a && b ? a ^ b : 0); };
  for (bool neg : {false, true})
    check_follows_weights(
        "{type: approx_mul, multiplier: {type: table, path: " + path +
            "}, input: {bits: 5, scale: 0.25}, weight: {bits: 5, scale: 0.25}}",
        0.25, 15, neg, [&](const torch::Tensor& a, const torch::Tensor& w, const MacOp& op) { return reference(a, w, op, m); });
}

TEST(WeightCache, DrumDenseFollowsInPlaceWeightChanges) {
  // DRUM-3 on 8 bits: keep the leading 3 bits, the lowest kept bit forced to 1 (independent form).
  auto t = [](std::int64_t v) {
    int s = 0;
    while ((v >> s) >= 8) ++s;
    return s == 0 ? v : (((v >> s) | 1) << s);
  };
  auto m = [&](std::int64_t a, std::int64_t b) { return t(a) * t(b); };
  check_follows_weights(
      "{type: approx_mul, multiplier: {type: drum, bits: 8, k: 3}, input: {bits: 9, scale: 0.125}, "
      "weight: {bits: 9, scale: 0.125}}",
      0.125, 255, true, [&](const torch::Tensor& a, const torch::Tensor& w, const MacOp& op) { return reference(a, w, op, m); });
}

TEST(WeightCache, AnalogTilesFollowInPlaceWeightChanges) {
  // Ideal ADC: the layer is the integer dot product of the codes.
  auto m = [](std::int64_t a, std::int64_t b) { return a * b; };
  check_follows_weights(
      "{type: analog, input: {bits: 8, scale: 0.0625}, weight: {bits: 8, scale: 0.0625}, adc_bits: 0}", 0.0625, 127,
      false, [&](const torch::Tensor& a, const torch::Tensor& w, const MacOp& op) { return reference(a, w, op, m); });
}

// SC: the uncached path is checked against the per-bit reference in hw_sc_test.cpp; here a layer
// that keeps its weight streams must give what a fresh layer (nothing kept) gives, after the
// weight levels change in place without a version bump.
TEST(WeightCache, ScStreamsFollowInPlaceWeightChanges) {
  const std::string yaml = "{type: sc, input: {scale: 0.03125, signed: true}, weight: {scale: 0.03125}}";
  auto kept = test::make_hw(yaml);
  kept->eval();
  for (const Case& c : cases()) {
    torch::manual_seed(12);
    torch::Tensor x = torch::rand(c.x) * 2 - 1, w = (torch::rand(c.w) * 2 - 1) * 0.9;
    for (int round = 0; round < 3; ++round) {
      if (round == 2) {
        float* p = w.data_ptr<float>();
        p[0] = p[0] > 0.2f ? -0.5f : 0.7f;
        p[w.numel() - 1] = 0.f;
      }
      torch::Tensor want = test::make_hw(yaml)->exact(x, w, c.op);
      EXPECT_TRUE(torch::equal(kept->exact(x, w, c.op), want)) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace ax
