#include "axtrain/train/sc_gdm.h"

#include <torch/serialize/archive.h>

namespace ax::train {

torch::Tensor ternary_quantise(const torch::Tensor& r) {
  torch::Tensor u = torch::rand_like(r);
  return torch::sign(r) * (u < r.abs()).to(r.scalar_type());
}

ScGdm::ScGdm(std::vector<torch::Tensor> params, ScGdmOptions options)
    : torch::optim::Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                              std::make_unique<ScGdmOptions>(options)) {}

torch::Tensor ScGdm::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode on(true);
    loss = closure();
  }
  std::size_t index = 0;
  double saturated = 0.0, moved = 0.0;
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const ScGdmOptions&>(group.options());
    for (auto& p : group.params()) {
      const std::size_t i = index++;
      if (momentum_.size() <= i) momentum_.resize(i + 1);
      if (!p.grad().defined()) continue;
      torch::Tensor counter = torch::round(p / o.step());  // the integer counter behind w
      torch::Tensor d = p.grad() * o.lr();
      if (o.weight_decay() != 0) d = d + p * (o.weight_decay() * o.lr());
      if (o.momentum() != 0) {
        if (!momentum_[i].defined()) momentum_[i] = torch::zeros_like(p);
        momentum_[i].mul_(o.momentum()).add_(d);
        d = momentum_[i];
      }
      torch::Tensor r = -d / o.step();
      saturated += (r.abs() > 1).sum().item<double>();
      moved += (r != 0).sum().item<double>();
      counter.add_(ternary_quantise(r.clamp(-1.0, 1.0)));
      p.copy_(counter * o.step());
    }
  }
  saturated_ = moved > 0 ? saturated / moved : 0.0;
  return loss;
}

void ScGdm::save(torch::serialize::OutputArchive& archive) const {
  for (std::size_t i = 0; i < momentum_.size(); ++i)
    if (momentum_[i].defined()) archive.write("momentum/" + std::to_string(i), momentum_[i], true);
}

void ScGdm::load(torch::serialize::InputArchive& archive) {
  std::size_t n = 0;
  for (const auto& g : param_groups()) n += g.params().size();
  momentum_.assign(n, torch::Tensor());
  for (std::size_t i = 0; i < n; ++i) {
    torch::Tensor t;
    if (archive.try_read("momentum/" + std::to_string(i), t, true)) momentum_[i] = t;
  }
}

}  // namespace ax::train
