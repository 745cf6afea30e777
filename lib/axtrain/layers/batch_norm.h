// BatchNorm as the models call it: the module's own forward, or — in training, in a data-parallel
// run with distributed.sync_batchnorm — PyTorch's SyncBatchNorm: the batch mean and variance over
// every rank's examples (an all-reduce of per-channel sums, sums of squares and counts), the
// running statistics updated from them, and in backward the input gradient from the all-reduced
// Σ dy and Σ dy·x̂ (the weight and bias gradients stay per rank; the trainer averages them).
#pragma once
#include <torch/nn/modules/batchnorm.h>

namespace ax::layers {

// The synchronised form (exposed for tests). running_* and batches are updated in place.
torch::Tensor sync_batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              torch::Tensor running_mean, torch::Tensor running_var, torch::Tensor batches,
                              double momentum, double eps);
bool sync_batch_norm_active();

template <class BN>
torch::Tensor batch_norm(BN& bn, const torch::Tensor& x) {
  if (!bn->is_training() || !sync_batch_norm_active()) return bn->forward(x);
  const auto& o = bn->options;
  return sync_batch_norm(x, bn->weight, bn->bias, bn->running_mean, bn->running_var, bn->num_batches_tracked,
                         o.momentum() ? *o.momentum() : 0.1, o.eps());
}

}  // namespace ax::layers
