// SC-GDC / SC-GDM (train/sc_gdm.h) against closed forms: the ternary quantiser's mean r and
// variance |r| − r²; one optimizer step moves every weight by −Δ, 0 or +Δ with mean −lr·g; the
// momentum buffer adds μ·v; updates beyond one counter step saturate; the state round-trips.
#include <gtest/gtest.h>

#include <torch/serialize/archive.h>

#include "axtrain/train/sc_gdm.h"

namespace ax::train {
namespace {

constexpr double kStep = 1.0 / 1024;

TEST(ScGdm, TernaryQuantiserIsUnbiasedWithBernoulliVariance) {
  torch::manual_seed(11);
  const std::int64_t n = 200000;
  for (double r : {-0.9, -0.3, 0.0, 0.25, 0.7, 1.0}) {
    torch::Tensor q = ternary_quantise(torch::full({n}, r, torch::kFloat64));
    EXPECT_TRUE(((q == -1) | (q == 0) | (q == 1)).all().item<bool>());
    EXPECT_TRUE((q * r >= 0).all().item<bool>()) << "a step never goes against r";
    const double var = std::abs(r) - r * r;
    EXPECT_NEAR(q.mean().item<double>(), r, 4 * std::sqrt(var / n) + 1e-12) << r;
    EXPECT_NEAR(q.var().item<double>(), var, 4 * std::sqrt(2.0 / n) * std::max(var, 1e-3) + 1e-12) << r;
  }
}

// A parameter of n equal weights with a planted constant gradient g.
torch::Tensor planted(std::int64_t n, double w, double g) {
  torch::Tensor p = torch::full({n}, w, torch::kFloat32).requires_grad_(true);
  p.mutable_grad() = torch::full({n}, g, torch::kFloat32);
  return p;
}

TEST(ScGdm, OneStepIsACounterStepWithMeanMinusLrTimesGradient) {
  torch::manual_seed(12);
  const std::int64_t n = 100000;
  const double g = 0.05, lr = 0.3 * kStep / g;  // d = 0.3 Δ
  torch::Tensor p = planted(n, 0.5, g);
  ScGdm opt({p}, ScGdmOptions(lr));
  opt.step();
  torch::Tensor dw = (p.detach() - 0.5).to(torch::kFloat64);
  EXPECT_TRUE(((dw.abs() < 1e-9) | ((dw + kStep).abs() < 1e-9)).all().item<bool>()) << "0 or −Δ";
  EXPECT_NEAR(dw.mean().item<double>(), -lr * g, 4 * kStep * std::sqrt(0.3 * 0.7 / n));
  EXPECT_EQ(opt.saturated_fraction(), 0.0);
  // Weights stay on the grid of the counter.
  torch::Tensor c = p.detach().to(torch::kFloat64) / kStep;
  EXPECT_TRUE(torch::allclose(c, c.round(), 0, 1e-6));
}

TEST(ScGdm, MomentumAccumulatesTheScaledGradient) {
  torch::manual_seed(13);
  const std::int64_t n = 100000;
  const double g = 0.02, lr = 0.2 * kStep / g, mu = 0.5;  // steps: d = 0.2Δ, then 0.5·0.2Δ + 0.2Δ = 0.3Δ
  torch::Tensor p = planted(n, 0.25, g);
  ScGdm opt({p}, ScGdmOptions(lr).momentum(mu));
  opt.step();
  opt.step();
  const double expected = -(0.2 + 0.3) * kStep;
  torch::Tensor dw = (p.detach() - 0.25).to(torch::kFloat64);
  const double var = kStep * kStep * (0.2 * 0.8 + 0.3 * 0.7);
  EXPECT_NEAR(dw.mean().item<double>(), expected, 4 * std::sqrt(var / n));
}

TEST(ScGdm, UpdatesBeyondOneCounterStepSaturate) {
  const double g = 1.0, lr = 3 * kStep;  // d = 3Δ
  torch::Tensor p = planted(1000, 0.0, g);
  ScGdm opt({p}, ScGdmOptions(lr));
  opt.step();
  EXPECT_TRUE(torch::allclose(p.detach(), torch::full({1000}, -kStep), 0, 1e-9));
  EXPECT_DOUBLE_EQ(opt.saturated_fraction(), 1.0);
}

TEST(ScGdm, MomentumSurvivesSaveAndLoad) {
  const double g = 0.01, lr = 0.4 * kStep / g;
  torch::Tensor p1 = planted(5000, 0.125, g), p2 = planted(5000, 0.125, g);
  ScGdm a({p1}, ScGdmOptions(lr).momentum(0.9));
  torch::manual_seed(14);
  a.step();
  torch::serialize::OutputArchive out;
  a.save(out);
  std::stringstream buf;
  out.save_to(buf);
  torch::serialize::InputArchive in;
  in.load_from(buf);
  {
    torch::NoGradGuard ng;
    p2.copy_(p1);
  }
  ScGdm b({p2}, ScGdmOptions(lr).momentum(0.9));
  b.load(in);
  p1.mutable_grad().zero_();
  p2.mutable_grad().zero_();  // the next step moves by the momentum alone: 0.9 · 0.4Δ
  torch::manual_seed(15);
  a.step();
  torch::manual_seed(15);
  b.step();
  EXPECT_TRUE(torch::equal(p1.detach(), p2.detach()));
  EXPECT_GT((p1.detach() != 0.125).sum().item<std::int64_t>(), 0);
}

}  // namespace
}  // namespace ax::train
