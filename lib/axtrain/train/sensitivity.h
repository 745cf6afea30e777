// AxTrain-act's sensitivity regulariser (He et al., ISLPED'18, Eq. 4–6; PAPERS.md §7.10):
//   S(w) = Σ_k Σ_w |w| · |∂O_k/∂w|,  O_k = the batch mean of output k (G-42),
// summed over the outputs k and every weight tensor given. With create_graph, S is itself
// differentiable: back-propagating it is the double back-propagation that yields both terms of
// Eq. 6 — sign(w)·|∂O_k/∂w| and the Hessian-vector product H_k·(|w| ⊙ sign(∂O_k/∂w)) — which the
// paper computes with Pearlmutter's R-operator. One backward per output k (K = 2..10 for the
// paper's MLPs); `max_outputs` = n < K bounds the cost: n outputs drawn at random (torch's
// generator, which the trainer seeds per batch) and the sum scaled by K/n — an unbiased estimate
// of S, not S itself (0 = all outputs, exact).
#pragma once
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "axtrain/core/random.h"

namespace ax::train {

// With 0 < max_outputs < K, n = max_outputs outputs are sampled without replacement (a partial
// Fisher–Yates shuffle: position i swaps with i + ⌊w_i·(K − i) / 2³²⌋, w_i = word i of `draws`)
// and the sum is scaled by K / n.
torch::Tensor sensitivity(const torch::Tensor& outputs, const std::vector<torch::Tensor>& weights,
                          bool create_graph, std::int64_t max_outputs = 0, const rng::Stream& draws = {});

// The per-weight terms of S without a graph (AxTrain Fig. 4 sensitivity maps): for every tensor
// of `weights`, |w| ⊙ Σ_k |∂O_k/∂w| (same shape as w), O_k the batch mean of output k.
std::vector<torch::Tensor> sensitivity_maps(const torch::Tensor& outputs, const std::vector<torch::Tensor>& weights);

// The adaptive γ of AxTrain §3.1.3 (after Weigend et al.): once per epoch, with E_n the epoch's
// training error and A_n = 0.5·E_{n−1} + 0.25·E_{n−2} + 0.125·E_{n−3} + …, γ grows by Δγ when
// E_n < A_n or E_n < bound, and shrinks by Δγ otherwise (never below 0). The first epoch has no
// history: γ grows only if E_1 < bound.
class GammaRule {
 public:
  GammaRule(double gamma, double delta, double bound, std::vector<double> errors = {})
      : gamma_(gamma), delta_(delta), bound_(bound), errors_(std::move(errors)) {}
  double gamma() const { return gamma_; }
  const std::vector<double>& errors() const { return errors_; }  // for checkpoints
  // Records epoch n's training error and returns the new γ.
  double update(double error);

 private:
  double gamma_, delta_, bound_;
  std::vector<double> errors_;
};

}  // namespace ax::train
