// AxTrain-act's S(w) and its gradient against central finite differences on a tiny MLP with
// smooth activations (tanh hidden, sigmoid output), so the Hessian term of Eq. 6 is non-zero and
// a first-order-only gradient would fail the check; the adaptive γ rule on a scripted sequence.
#include <gtest/gtest.h>

#include <torch/autograd.h>

#include "axtrain/train/sensitivity.h"

namespace ax::train {
namespace {

torch::Tensor mlp(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& w2) {
  return torch::sigmoid(torch::tanh(x.mm(w1.t())).mm(w2.t()));
}

TEST(Sensitivity, ValueAndGradientMatchFiniteDifferences) {
  torch::manual_seed(31);
  torch::Tensor x = torch::randn({16, 4}, torch::kFloat64);
  torch::Tensor w1 = (torch::randn({5, 4}, torch::kFloat64) * 0.7).requires_grad_(true);
  torch::Tensor w2 = (torch::randn({3, 5}, torch::kFloat64) * 0.7).requires_grad_(true);
  auto S = [&](bool graph) { return sensitivity(mlp(x, w1, w2), {w1, w2}, graph); };

  // Value: Σ_k Σ |w|·|∂O_k/∂w| from an independent per-output Jacobian (finite differences of O_k).
  const double h = 1e-6;
  double expected = 0.0;
  for (torch::Tensor* w : {&w1, &w2}) {
    for (std::int64_t i = 0; i < w->numel(); ++i) {
      torch::NoGradGuard ng;
      torch::Tensor flat = w->view(-1);
      const double v = flat[i].item<double>();
      flat[i] = v + h;
      torch::Tensor up = mlp(x, w1, w2).mean(0);
      flat[i] = v - h;
      torch::Tensor down = mlp(x, w1, w2).mean(0);
      flat[i] = v;
      expected += std::abs(v) * ((up - down) / (2 * h)).abs().sum().item<double>();
    }
  }
  EXPECT_NEAR(S(false).item<double>(), expected, 1e-6 * expected);

  // Gradient by double back-propagation against central differences of S itself.
  torch::Tensor s = S(true);
  auto g = torch::autograd::grad({s}, {w1, w2});
  double worst = 0.0;
  for (int t = 0; t < 2; ++t) {
    torch::Tensor* w = t == 0 ? &w1 : &w2;
    for (std::int64_t i = 0; i < w->numel(); ++i) {
      torch::NoGradGuard ng;
      torch::Tensor flat = w->view(-1);
      const double v = flat[i].item<double>();
      flat[i] = v + h;
      double up;
      {
        torch::AutoGradMode on(true);
        up = S(false).item<double>();
      }
      flat[i] = v - h;
      double down;
      {
        torch::AutoGradMode on(true);
        down = S(false).item<double>();
      }
      flat[i] = v;
      const double fd = (up - down) / (2 * h);
      worst = std::max(worst, std::abs(g[t].view(-1)[i].item<double>() - fd));
    }
  }
  EXPECT_LT(worst, 1e-5);
  // The first-order term alone, sign(w)·Σ_k|∂O_k/∂w|, is not the gradient: the Hessian term matters.
  {
    torch::Tensor o = mlp(x, w1, w2).mean(0);
    std::vector<torch::Tensor> acc = {torch::zeros_like(w1), torch::zeros_like(w2)};
    for (std::int64_t k = 0; k < o.size(0); ++k) {
      auto gk = torch::autograd::grad({o[k]}, {w1, w2}, {}, true);
      acc[0] += torch::sign(w1.detach()) * gk[0].abs();
      acc[1] += torch::sign(w2.detach()) * gk[1].abs();
    }
    const double gap = std::max((acc[0] - g[0]).abs().max().item<double>(), (acc[1] - g[1]).abs().max().item<double>());
    EXPECT_GT(gap, 1e-3);
  }
}

TEST(Sensitivity, GammaRuleFollowsTheWeightedErrorHistory) {
  GammaRule r(0.1, 0.01, 0.05);
  EXPECT_NEAR(r.update(0.5), 0.09, 1e-12);   // no history, above the bound: shrink
  EXPECT_NEAR(r.update(0.2), 0.10, 1e-12);   // 0.2 < A = 0.25: grow
  EXPECT_NEAR(r.update(0.2), 0.11, 1e-12);   // A = 0.5·0.2 + 0.25·0.5 = 0.225: grow
  EXPECT_NEAR(r.update(0.3), 0.10, 1e-12);   // A = 0.1 + 0.05 + 0.0625 = 0.2125: shrink
  EXPECT_NEAR(r.update(0.04), 0.11, 1e-12);  // below the bound: grow
  GammaRule z(0.005, 0.01, 0.0);
  EXPECT_EQ(z.update(1.0), 0.0);  // never negative
}

}  // namespace
}  // namespace ax::train
