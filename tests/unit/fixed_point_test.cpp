// fixed_point against a hand-computed example.
#include <gtest/gtest.h>

#include "axtrain/hw/quant.h"
#include "test_util.h"

namespace ax {
namespace {

TEST(FixedPoint, HandComputedFourBitExample) {
  // x = [0.6, -1, 0.2] has a negative value, so `signed: auto` picks a signed range: 4 bits →
  // codes -7..7, scale 1/7; codes round(4.2) = 4, -7, round(1.4) = 1.
  // w = [2, -0.5, 0.9]: scale 2/7; codes 7, round(-1.75) = -2, round(3.15) = 3.
  // y = (4/7)(2) + (-1)(-4/7) + (1/7)(6/7) = 8/7 + 4/7 + 6/49 = 90/49.
  auto hw = test::make_hw("{type: fixed_point, input: {bits: 4}, weight: {bits: 4}}");
  torch::Tensor x = torch::tensor({{0.6f, -1.0f, 0.2f}});
  torch::Tensor w = torch::tensor({{2.0f, -0.5f, 0.9f}});
  torch::NoGradGuard g;
  torch::Tensor y = hw->exact(x, w, hw::MacOp{hw::MacOp::Kind::Linear});
  EXPECT_NEAR(y.item<double>(), 90.0 / 49.0, 1e-6);
}

TEST(FixedPoint, UnsignedInputsUseTheFullRange) {
  // Non-negative inputs with signed: auto → 0..15 at 4 bits: 0.35/1.0 · 15 = 5.25 → 5.
  hw::QuantSpec s{4, hw::ScalePolicy::MaxAbs, 0.0, hw::Signedness::Auto};
  torch::Tensor t = torch::tensor({1.0f, 0.35f, 0.0f});
  hw::QuantParams q = hw::choose_quant(t, s);
  EXPECT_EQ(q.lo, 0);
  EXPECT_EQ(q.hi, 15);
  EXPECT_TRUE(torch::equal(hw::quantize_codes(t, q), torch::tensor({15.0f, 5.0f, 0.0f})));
}

TEST(FixedPoint, Pow2ScaleIsDynamicFixedPoint) {
  // max|t| = 0.3 at 8 bits: step 0.3/127 = 0.00236 → 2^-8 = 0.00390625 (the next power of two).
  hw::QuantSpec s{8, hw::ScalePolicy::Pow2, 0.0, hw::Signedness::Signed};
  hw::QuantParams q = hw::choose_quant(torch::tensor({0.3f, -0.1f}), s);
  EXPECT_DOUBLE_EQ(q.scale, 1.0 / 256.0);
}

TEST(FixedPoint, StraightThroughGradient) {
  auto hw = test::make_hw("{type: fixed_point, input: {bits: 3}, weight: {bits: 3}}");
  torch::Tensor x = torch::rand({2, 5}).requires_grad_(true), w = torch::randn({3, 5}).requires_grad_(true);
  hw->forward(x, w, hw::MacOp{hw::MacOp::Kind::Linear}, hw::Mode::Exact).sum().backward();
  // d/dx of sum(xq · wqᵀ) with identity STE = column sums of the quantised weights.
  hw::QuantParams qw = hw::choose_quant(w.detach(), hw::QuantSpec{3, hw::ScalePolicy::MaxAbs, 0, hw::Signedness::Signed});
  torch::Tensor wq = hw::quantize_codes(w.detach(), qw) * qw.scale;
  EXPECT_TRUE(torch::allclose(x.grad(), wq.sum(0).expand({2, 5}), 1e-6, 1e-6));
}

}  // namespace
}  // namespace ax
