#include "axtrain/train/sc_gdm.h"

#include "axtrain/dist/comm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include <ATen/Parallel.h>

#include <torch/serialize/archive.h>

#include "axtrain/core/random.h"
#include "axtrain/layers/mac_layer.h"

namespace ax::train {

torch::Tensor ternary_quantise(const torch::Tensor& r, const rng::Stream& draws) {
  torch::Tensor rc = r.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const std::int64_t n = rc.numel();
  torch::Tensor q = torch::empty_like(rc);
  const double* pr = rc.data_ptr<double>();
  double* pq = q.data_ptr<double>();
  constexpr std::int64_t kChunk = 4096;  // elements per task; element e reads words 2e, 2e + 1 wherever it runs
  at::parallel_for(0, (n + kChunk - 1) / kChunk, 1, [&](std::int64_t c0, std::int64_t c1) {
    std::vector<std::uint32_t> words(2 * kChunk);
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t b = c * kChunk, len = std::min(kChunk, n - b);
      rng::fill_u32(words.data(), 2 * len, draws, static_cast<std::uint64_t>(2 * b));
      for (std::int64_t i = 0; i < len; ++i) {
        const std::uint64_t bits = words[2 * i] | (static_cast<std::uint64_t>(words[2 * i + 1]) << 32);
        const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;  // [0, 1)
        const double ri = pr[b + i];
        pq[b + i] = u < std::abs(ri) ? (ri > 0 ? 1.0 : -1.0) : 0.0;
      }
    }
  });
  return q.to(r.device(), r.scalar_type());
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
                            const rng::Stream& draws, torch::Tensor& counter, double& saturated, double& moved) {
  std::vector<torch::Tensor> xs, ds;
  for (const auto& r : t.tap->records) {
    if (!r.delta->defined()) continue;
    if (r.x.dim() != 2 || r.delta->dim() != 2 || r.x.size(0) != r.delta->size(0)) return false;
    xs.push_back(r.x);
    ds.push_back(*r.delta);
  }
  if (xs.empty()) return false;
  torch::Tensor x = torch::cat(xs).to(torch::kCPU, torch::kFloat64).contiguous();
  torch::Tensor d = torch::cat(ds).to(torch::kCPU, torch::kFloat64).contiguous();
  if (t.bias ? d.size(1) != p.size(0) : (p.dim() != 2 || d.size(1) != p.size(0) || x.size(1) != p.size(1)))
    return false;
  // Data parallelism: this rank's δ are those of the mean over its own rows; in units of the global
  // batch's mean they are scaled by local / global (exact for equal shards: a power of two).
  dist::Comm* comm = dist::current();
  const double share = global_rows_ > 0 ? static_cast<double>(local_rows_) / static_cast<double>(global_rows_) : 1.0;
  // Σ_i g_i must be the gradient autograd produced (over all ranks: the averaged gradient; every
  // rank reaches the same verdict from the same reduced sum).
  torch::Tensor grad = p.grad().to(torch::kCPU, torch::kFloat64);
  torch::Tensor sum = (t.bias ? d.sum(0) : d.t().mm(x)) * share;
  if (comm) {
    std::vector<torch::Tensor> s{sum};
    comm->all_reduce_sum(s);
    sum = s[0];
  }
  const double scale = grad.abs().max().item<double>();
  if ((sum - grad).abs().max().item<double>() > 1e-3 * scale + 1e-30) return false;

  // Counter row o (one output): for every sample i and input c, r = −lr·δ_io·x_ic / Δ; a step of
  // sign(r) with probability min(|r|, 1). r = 0 (a zero input or gradient) never steps, so it
  // takes no draw.
  const double k = -o.lr() / o.step() * share;
  const std::int64_t first = first_row_;
  if (static_cast<double>(first + x.size(0)) * static_cast<double>(t.bias ? 1 : x.size(1)) >= 0x1.0p32)
    throw std::invalid_argument("sc_gdm: per-sample steps need batch rows × inputs < 2^32 (each counter row's draws)");
  const std::int64_t n = x.size(0), outs = d.size(1), cols = t.bias ? 1 : x.size(1);
  const double* xp = x.data_ptr<double>();
  const double* dp = d.data_ptr<double>();
  std::vector<double> steps(static_cast<std::size_t>(outs * cols), 0.0), sat(static_cast<std::size_t>(outs), 0.0),
      mov(static_cast<std::size_t>(outs), 0.0);
  at::parallel_for(0, outs, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t oi = b; oi < e; ++oi) {
      // Counter row oi, example i of the global batch: blocks oi·2³² + (first + i)·cols on, so an
      // example draws the same on any rank (and in one process).
      rng::Sequence g(draws, static_cast<std::uint64_t>(oi) << 32);
      double* row = steps.data() + oi * cols;
      double s = 0, m = 0;
      auto draw = [&](double& acc, double r) {
        m += 1;
        const double a = std::abs(r);
        if (a > 1) s += 1;
        if (a >= 1 || static_cast<double>(g.u64() >> 11) * 0x1.0p-53 < a) acc += r > 0 ? 1.0 : -1.0;
      };
      for (std::int64_t i = 0; i < n; ++i) {
        const double di = k * dp[i * outs + oi];
        if (di == 0) continue;
        g = rng::Sequence(draws, (static_cast<std::uint64_t>(oi) << 32) +
                                     static_cast<std::uint64_t>(first + i) * static_cast<std::uint64_t>(cols));
        if (t.bias) {
          draw(row[0], di);
          continue;
        }
        const double* xi = xp + i * cols;
        for (std::int64_t c = 0; c < cols; ++c)
          if (xi[c] != 0) draw(row[c], di * xi[c]);
      }
      sat[static_cast<std::size_t>(oi)] = s;
      mov[static_cast<std::size_t>(oi)] = m;
    }
  });
  for (std::int64_t oi = 0; oi < outs; ++oi) {
    saturated += sat[static_cast<std::size_t>(oi)];
    moved += mov[static_cast<std::size_t>(oi)];
  }
  torch::Tensor counts = torch::from_blob(steps.data(), counter.sizes(), torch::kFloat64);
  if (comm) {  // the ranks' step counts summed: every rank moves its counters alike
    std::vector<torch::Tensor> c{counts.clone()};
    comm->all_reduce_sum(c);
    counts = c[0];
  }
  counter.add_(counts.to(counter.device(), counter.scalar_type()));
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
      const rng::Stream own = draws_.sub(i);  // parameter i's draws at this step
      if (momentum_.size() <= i) momentum_.resize(i + 1);
      if (!p.grad().defined()) continue;
      torch::Tensor counter = torch::round(p / o.step());  // the integer counter behind w
      const void* key = p.unsafeGetTensorImpl();
      auto it = std::find_if(tapped_.begin(), tapped_.end(), [key](const auto& e) { return e.first == key; });
      if (it != tapped_.end()) {
        tapped += 1;
        if (per_sample_step(p, it->second, o, own.sub(1), counter, saturated, moved)) {
          if (o.weight_decay() != 0) {
            torch::Tensor r = p * (-o.weight_decay() * o.lr() / o.step());
            counter.add_(ternary_quantise(r.clamp(-1.0, 1.0), own.sub(2)));
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
      counter.add_(ternary_quantise(r.clamp(-1.0, 1.0), own));
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
