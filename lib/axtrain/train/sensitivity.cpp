#include "axtrain/train/sensitivity.h"

#include <algorithm>
#include <numeric>

#include <torch/autograd.h>

namespace ax::train {

torch::Tensor sensitivity(const torch::Tensor& outputs, const std::vector<torch::Tensor>& weights, bool create_graph,
                          std::int64_t max_outputs, const rng::Stream& draws) {
  TORCH_CHECK(outputs.dim() == 2, "sensitivity: outputs must be [batch, K]");
  const std::int64_t K = outputs.size(1);
  const bool sample = max_outputs > 0 && max_outputs < K;
  const std::int64_t n = sample ? max_outputs : K;
  std::vector<std::int64_t> ks(static_cast<std::size_t>(K));
  std::iota(ks.begin(), ks.end(), 0);
  if (sample) {
    std::vector<std::uint32_t> w(static_cast<std::size_t>(n));
    rng::fill_u32(w.data(), n, draws, 0);
    for (std::int64_t i = 0; i < n; ++i)
      std::swap(ks[static_cast<std::size_t>(i)],
                ks[static_cast<std::size_t>(i + rng::below(w[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(K - i)))]);
  }
  torch::Tensor o = outputs.mean(0);
  torch::Tensor s = torch::zeros({}, outputs.options());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t k = ks[static_cast<std::size_t>(i)];
    auto g = torch::autograd::grad({o[k]}, weights, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
    for (std::size_t j = 0; j < weights.size(); ++j)
      if (g[j].defined()) s = s + (weights[j].abs() * g[j].abs()).sum();
  }
  return sample ? s * (static_cast<double>(K) / static_cast<double>(n)) : s;
}

std::vector<torch::Tensor> sensitivity_maps(const torch::Tensor& outputs, const std::vector<torch::Tensor>& weights) {
  TORCH_CHECK(outputs.dim() == 2, "sensitivity_maps: outputs must be [batch, K]");
  std::vector<torch::Tensor> maps;
  for (const auto& w : weights) maps.push_back(torch::zeros_like(w));
  torch::Tensor o = outputs.mean(0);
  for (std::int64_t k = 0; k < outputs.size(1); ++k) {
    auto g = torch::autograd::grad({o[k]}, weights, {}, /*retain_graph=*/true, /*create_graph=*/false,
                                   /*allow_unused=*/true);
    for (std::size_t j = 0; j < weights.size(); ++j)
      if (g[j].defined()) maps[j] += g[j].abs();
  }
  for (std::size_t j = 0; j < weights.size(); ++j) maps[j] = maps[j] * weights[j].detach().abs();
  return maps;
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
