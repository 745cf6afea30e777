#include "axtrain/train/sensitivity.h"

#include <algorithm>

#include <torch/autograd.h>

namespace ax::train {

torch::Tensor sensitivity(const torch::Tensor& outputs, const std::vector<torch::Tensor>& weights, bool create_graph,
                          std::int64_t max_outputs) {
  TORCH_CHECK(outputs.dim() == 2, "sensitivity: outputs must be [batch, K]");
  const std::int64_t K = max_outputs > 0 ? std::min(max_outputs, outputs.size(1)) : outputs.size(1);
  torch::Tensor o = outputs.mean(0);
  torch::Tensor s = torch::zeros({}, outputs.options());
  for (std::int64_t k = 0; k < K; ++k) {
    auto g = torch::autograd::grad({o[k]}, weights, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
    for (std::size_t i = 0; i < weights.size(); ++i)
      if (g[i].defined()) s = s + (weights[i].abs() * g[i].abs()).sum();
  }
  return s;
}

double GammaRule::update(double error) {
  double a = 0.0, weight = 0.5;
  for (auto it = errors_.rbegin(); it != errors_.rend(); ++it, weight *= 0.5) a += weight * *it;
  const bool better = (!errors_.empty() && error < a) || error < bound_;
  gamma_ = std::max(0.0, gamma_ + (better ? delta_ : -delta_));
  errors_.push_back(error);
  return gamma_;
}

}  // namespace ax::train
