#include "axtrain/train/sc_gdm.h"

#include <algorithm>
#include <stdexcept>

#include <torch/serialize/archive.h>

#include "axtrain/layers/mac_layer.h"

namespace ax::train {

torch::Tensor ternary_quantise(const torch::Tensor& r) {
  torch::Tensor u = torch::rand_like(r);
  return torch::sign(r) * (u < r.abs()).to(r.scalar_type());
}

ScGdm::ScGdm(std::vector<torch::Tensor> params, ScGdmOptions options)
    : torch::optim::Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                              std::make_unique<ScGdmOptions>(options)) {}

ScGdm::~ScGdm() {
  for (auto& t : taps_) {
    t->active = false;
    t->records.clear();
  }
}

void ScGdm::tap_linear(layers::MacLayerImpl& layer) {
  for (const auto& g : param_groups())
    if (static_cast<const ScGdmOptions&>(g.options()).momentum() != 0)
      throw std::invalid_argument("sc_gdm: per-sample steps are SC-GDC only (momentum 0)");
  if (layer.op().kind != hw::MacOp::Kind::Linear)
    throw std::invalid_argument("sc_gdm: per-sample steps are for Linear layers only");
  auto tap = std::make_shared<SampleTap>();
  taps_.push_back(tap);
  tapped_.push_back({layer.weight.unsafeGetTensorImpl(), Tapped{tap, false}});
  if (layer.bias.defined()) tapped_.push_back({layer.bias.unsafeGetTensorImpl(), Tapped{tap, true}});
  layer.set_sample_tap([tap](const torch::Tensor& x, const torch::Tensor& y) {
    if (!tap->active) return;
    if (tap->records.size() >= SampleTap::kMaxRecords) tap->records.erase(tap->records.begin());
    SampleTap::Record r{x.detach(), std::make_shared<torch::Tensor>()};
    std::shared_ptr<torch::Tensor> slot = r.delta;
    tap->records.push_back(std::move(r));
    // The last gradient that reaches y wins (a sensitivity pass fires first, the loss last).
    y.register_hook([slot](const torch::Tensor& g) { *slot = g.detach(); });
  });
}

bool ScGdm::per_sample_step(const torch::Tensor& p, const Tapped& t, const ScGdmOptions& o,
                            torch::Tensor& counter, double& saturated, double& moved) {
  std::vector<torch::Tensor> xs, ds;
  for (const auto& r : t.tap->records) {
    if (!r.delta->defined()) continue;
    if (r.x.dim() != 2 || r.delta->dim() != 2 || r.x.size(0) != r.delta->size(0)) return false;
    xs.push_back(r.x);
    ds.push_back(*r.delta);
  }
  if (xs.empty()) return false;
  torch::Tensor x = torch::cat(xs).to(p.scalar_type()), d = torch::cat(ds).to(p.scalar_type());
  if (t.bias ? d.size(1) != p.size(0) : (p.dim() != 2 || d.size(1) != p.size(0) || x.size(1) != p.size(1)))
    return false;
  // Σ_i g_i must be the gradient autograd produced.
  torch::Tensor sum = t.bias ? d.sum(0) : d.t().mm(x);
  const double scale = p.grad().abs().max().item<double>();
  if ((sum - p.grad()).abs().max().item<double>() > 1e-3 * scale + 1e-30) return false;

  const double k = -o.lr() / o.step();
  const std::int64_t n = x.size(0), per = std::max<std::int64_t>(p.numel(), 1);
  const std::int64_t chunk = std::max<std::int64_t>(1, (std::int64_t{1} << 22) / per);  // ≤ 4 M draws
  torch::Tensor total = torch::zeros_like(counter);
  for (std::int64_t i0 = 0; i0 < n; i0 += chunk) {
    const std::int64_t m = std::min(chunk, n - i0);
    torch::Tensor di = d.narrow(0, i0, m);
    torch::Tensor r = t.bias ? di * k : di.unsqueeze(2) * x.narrow(0, i0, m).unsqueeze(1) * k;  // [m, O(, C)]
    saturated += (r.abs() > 1).sum().item<double>();
    moved += (r != 0).sum().item<double>();
    total.add_(ternary_quantise(r.clamp(-1.0, 1.0)).sum(0));
  }
  counter.add_(total);
  return true;
}

torch::Tensor ScGdm::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode on(true);
    loss = closure();
  }
  std::size_t index = 0;
  double saturated = 0.0, moved = 0.0, tapped = 0.0, fell_back = 0.0;
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const ScGdmOptions&>(group.options());
    for (auto& p : group.params()) {
      const std::size_t i = index++;
      if (momentum_.size() <= i) momentum_.resize(i + 1);
      if (!p.grad().defined()) continue;
      torch::Tensor counter = torch::round(p / o.step());  // the integer counter behind w
      const void* key = p.unsafeGetTensorImpl();
      auto it = std::find_if(tapped_.begin(), tapped_.end(), [key](const auto& e) { return e.first == key; });
      if (it != tapped_.end()) {
        tapped += 1;
        if (per_sample_step(p, it->second, o, counter, saturated, moved)) {
          if (o.weight_decay() != 0) {
            torch::Tensor r = p * (-o.weight_decay() * o.lr() / o.step());
            counter.add_(ternary_quantise(r.clamp(-1.0, 1.0)));
          }
          p.copy_(counter * o.step());
          continue;
        }
        fell_back += 1;
      }
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
  for (auto& t : taps_) t->records.clear();
  fallback_ = tapped > 0 ? fell_back / tapped : 0.0;
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
