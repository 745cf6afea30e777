// SC-GDC / SC-GDM (Liu deck; PAPERS.md §7.13): gradient descent as stochastic-computing training
// hardware does it. Every weight is an integer counter c, w = c·Δ (Δ = 2^−10 by default, the
// counter's LSB). A step moves each counter by q ∈ {−1, 0, +1}, drawn so that E[q] = r with
// r = −d/Δ clipped to [−1, 1], d = lr·(g + weight_decay·w) (SC-GDC, momentum 0) or the momentum
// buffer v ← μ·v + d (SC-GDM): q = sign(r)·Bernoulli(|r|). The update is unbiased, E[Δw] = −d,
// as long as |d| ≤ Δ (the hardware's single counter step); larger updates saturate at one step,
// and the share of saturated updates is kept as `saturated_fraction()` so a learning rate that
// is too large shows. Var[q] = |r| − r². Weights start on the grid (rounded to the nearest
// multiple of Δ at the first step); the counters are re-read from the weights at every step, so
// a weight clamp or a checkpoint round trip keeps them exact (|c| < 2^24 is exact in float32).
// The Bernoulli draws use torch's default generator (the run's seed fixes them).
#pragma once
#include <torch/optim/optimizer.h>

namespace ax::train {

struct ScGdmOptions : public torch::optim::OptimizerCloneableOptions<ScGdmOptions> {
  explicit ScGdmOptions(double lr = 2e-3) : lr_(lr) {}
  TORCH_ARG(double, lr);
  TORCH_ARG(double, momentum) = 0.0;      // 0 = SC-GDC
  TORCH_ARG(double, weight_decay) = 0.0;
  TORCH_ARG(double, step) = 1.0 / 1024;   // Δ, the counter LSB
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

class ScGdm : public torch::optim::Optimizer {
 public:
  ScGdm(std::vector<torch::Tensor> params, ScGdmOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  // Share of the last step's non-zero updates with |d| > Δ (clipped to one counter step).
  double saturated_fraction() const { return saturated_; }

 private:
  std::vector<torch::Tensor> momentum_;  // one per parameter (undefined until first used)
  double saturated_ = 0.0;
};

// q = sign(r)·Bernoulli(|r|) element-wise for r in [−1, 1] (the ternary stochastic quantiser).
torch::Tensor ternary_quantise(const torch::Tensor& r);

}  // namespace ax::train
