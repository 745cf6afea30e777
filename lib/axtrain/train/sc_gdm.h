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
// The Bernoulli draws come from the step's Philox stream the trainer passes in (KeyedDraws,
// core/random.h; parameter i draws from its sub-stream i): a per-batch step compares element e's
// uniform u (53 bits from words 2e, 2e + 1) with |r|; per-sample steps read one sequence per
// output row (thread-count independent) and skip the draws of zero inputs or gradients (r = 0
// never steps).
//
// Per-sample steps (`per_sample`, SC-GDC only: momentum 0). The hardware takes one ternary step
// per *sample* (§7.13: "per training sample and weight, draw b⁺, b⁻"), so a batch can move a
// counter by up to ±B steps. For the weight (and bias) of every Linear layer registered with
// tap_linear(), the step draws, for each sample i of the batch, q_i from
//   g_i = δ_i ⊗ x_i  (bias: δ_i),  r_i = −lr·g_i / Δ clipped to [−1, 1]   (p = |r_i|)
// and adds Σ_i q_i to the counter: E[Δc] = Σ_i clip(−lr·g_i / Δ), Var = Σ_i |r_i| − r_i².
// x_i is the layer's input and δ_i the gradient of the training loss with respect to the layer's
// output (before bias), both recorded by the layer's sample tap (layers/mac_layer.h). The
// trainer's losses are batch means, so g_i is sample i's share of the batch gradient
// (Σ_i g_i = ∂loss/∂W, = (1/B)·∇ℓ_i): lr keeps its meaning of the other optimizers (the rate on
// the batch-mean gradient), and the per-sample rate on ℓ_i itself is lr / B.
// Assumptions (PAPERS.md §10): G-51 (no learning rate, normalisation or momentum in the deck) —
// our per-sample probability is lr·|g_i| / Δ as the issue that introduced it states it.
// The decomposition holds only where the weight gradient is Σ_i δ_i ⊗ x_i: ideal hardware, or a
// proxy whose weight gradient is that of x·Wᵀ on the unquantised input (not SC_act, not
// quantised-operand proxies), and no AxTrain sensitivity term (its second-order path reaches W
// outside δ). Every step checks Σ_i g_i against the gradient autograd produced (relative 1e−3);
// where they differ, or the layer's input is not [N, C], that parameter takes the per-batch step
// for that step and `per_sample_fallback_fraction()` counts it. Convolutions, and every
// parameter not registered, keep per-batch steps (per-sample conv gradients are C·k²·O·H·W per
// sample: too large to form). Weight decay is one extra per-batch ternary step of r = −lr·wd·w/Δ.
// Baseline (docs/config.md, configs/mnist_mlp_sc_gdm.yaml): SGD on the batch sum of the same g_i
// with the same rate, w ← w − lr·Σ_i g_i, which is `{type: sgd, lr: <same lr>, momentum: 0}`.
#pragma once
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "axtrain/train/optim.h"

namespace ax::layers {
class MacLayerImpl;
}

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

// The inputs and output gradients of one layer's forwards since the last step (at most the last
// kMaxRecords, so forwards with gradients that no step follows do not pile up).
struct SampleTap {
  static constexpr std::size_t kMaxRecords = 16;
  struct Record {
    torch::Tensor x;                      // [N, C], detached
    std::shared_ptr<torch::Tensor> delta;  // [N, O], set by the output's gradient hook
  };
  std::vector<Record> records;
  bool active = true;  // false once the optimizer is gone: record nothing
};

class ScGdm : public torch::optim::Optimizer, public KeyedDraws {
 public:
  ScGdm(std::vector<torch::Tensor> params, ScGdmOptions options);
  ~ScGdm() override;
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  void set_draws(const rng::Stream& draws) override { draws_ = draws; }
  void set_shard(std::int64_t first, std::int64_t local, std::int64_t global) override {
    first_row_ = first;
    local_rows_ = local;
    global_rows_ = global;
  }
  // Share of the last step's non-zero updates with |d| > Δ (clipped to one counter step); with
  // per-sample steps, counted over the per-sample draws.
  double saturated_fraction() const { return saturated_; }

  // Per-sample steps for this Linear layer's weight and bias (momentum must be 0; throws
  // std::invalid_argument otherwise, or for a convolution). Installs the layer's sample tap.
  void tap_linear(layers::MacLayerImpl& layer);
  // Share of the last step's tapped parameters that fell back to a per-batch step.
  double per_sample_fallback_fraction() const { return fallback_; }

 private:
  struct Tapped {
    std::shared_ptr<SampleTap> tap;
    bool bias = false;
  };
  // Adds the per-sample steps of parameter p to counter; false when the decomposition fails.
  bool per_sample_step(const torch::Tensor& p, const Tapped& t, const ScGdmOptions& o, const rng::Stream& draws,
                       torch::Tensor& counter, double& saturated, double& moved);

  std::vector<torch::Tensor> momentum_;  // one per parameter (undefined until first used)
  std::vector<std::pair<const void*, Tapped>> tapped_;  // parameter (TensorImpl*) → its layer's tap
  std::vector<std::shared_ptr<SampleTap>> taps_;
  double saturated_ = 0.0, fallback_ = 0.0;
  rng::Stream draws_;
  // Data parallelism (set_shard): this rank's rows of the global batch; 0 = one process.
  std::int64_t first_row_ = 0, local_rows_ = 0, global_rows_ = 0;
};

// q = sign(r)·Bernoulli(|r|) element-wise for r in [−1, 1] (the ternary stochastic quantiser):
// element e steps where u_e < |r_e|, u_e = ⌊(w₂ₑ + 2³²·w₂ₑ₊₁) / 2¹¹⌋ · 2⁻⁵³ from the stream's words.
torch::Tensor ternary_quantise(const torch::Tensor& r, const rng::Stream& draws);

}  // namespace ax::train
