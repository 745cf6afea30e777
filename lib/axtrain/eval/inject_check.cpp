#include "axtrain/eval/inject_check.h"

#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "axtrain/layers/attach.h"
#include "axtrain/models/model.h"

namespace ax::eval {

namespace {

ErrorStats stats_of(const torch::Tensor& e) {
  ErrorStats s;
  s.count = e.numel();
  if (s.count > 0) s.mean = e.mean().item<double>();
  if (s.count > 1) s.std = e.std().item<double>();
  return s;
}

// The layer inputs of one forward in exact mode, in MAC-layer order.
std::vector<torch::Tensor> layer_inputs(models::Model& model, const std::vector<layers::NamedMacLayer>& mac,
                                        const torch::Tensor& batch) {
  std::vector<torch::Tensor> xs(mac.size());
  for (std::size_t i = 0; i < mac.size(); ++i)
    mac[i].layer->set_sample_tap([&xs, i](const torch::Tensor& x, const torch::Tensor&) { xs[i] = x.detach(); });
  {
    torch::AutoGradMode on(true);  // the tap fires on forwards that record gradients
    model.forward(batch);
  }
  for (const auto& l : mac) l.layer->set_sample_tap(nullptr);
  return xs;
}

// Bins of u (float64, flat) with both errors' statistics.
std::vector<InjectCheckBin> binned(const torch::Tensor& u, const torch::Tensor& exact_err,
                                   const torch::Tensor& injected_err, double lo, double hi, std::int64_t bins) {
  std::vector<InjectCheckBin> out;
  if (!(hi > lo)) hi = lo + 1e-12;
  const double width = (hi - lo) / static_cast<double>(bins);
  torch::Tensor idx = ((u - lo) / width).floor().clamp(0, bins - 1).to(torch::kInt64);
  for (std::int64_t b = 0; b < bins; ++b) {
    torch::Tensor m = idx == b;
    InjectCheckBin r;
    r.lo = lo + static_cast<double>(b) * width;
    r.hi = r.lo + width;
    r.exact = stats_of(exact_err.masked_select(m));
    r.injected = stats_of(injected_err.masked_select(m));
    out.push_back(r);
  }
  return out;
}

torch::Tensor flat64(const torch::Tensor& t) { return t.detach().flatten().to(torch::kFloat64); }

}  // namespace

std::vector<InjectCheckLayer> inject_check(models::Model& model, const torch::Tensor& batch_a,
                                           const torch::Tensor& batch_b, const inject::ErrorModelOptions& options) {
  model.eval();
  layers::set_mode(model, hw::Mode::Exact);
  const std::vector<layers::NamedMacLayer> mac = layers::mac_layers(model);
  // Batch A's forwards draw at step 0, B's at step 1 (core/random.h): independent randomness.
  layers::set_step(model, rng::calibration_step(0));
  const std::vector<torch::Tensor> xa = layer_inputs(model, mac, batch_a);
  layers::set_step(model, rng::calibration_step(1));
  const std::vector<torch::Tensor> xb = layer_inputs(model, mac, batch_b);
  std::vector<InjectCheckLayer> out;
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    hw::LayerHardware& hw = mac[i].layer->hardware();
    const hw::MacOp& op = mac[i].layer->op();
    const torch::Tensor w = hw.read_weight(mac[i].layer->weight, hw::Mode::Exact).detach();
    inject::ErrorModelOptions o = options;
    o.kind = hw.default_error_kind();
    hw.set_error_model(inject::make_error_model(o));
    inject::ErrorModel& m = *hw.error_model();
    hw.set_step(rng::calibration_step(0));
    hw.request_calibration(true);
    hw.forward(xa[i], w, op, hw::Mode::Inject);
    hw.request_calibration(false);
    hw.set_step(rng::calibration_step(1));
    const rng::Stream noise = hw.draws(rng::Draw::Noise);

    InjectCheckLayer r;
    r.name = mac[i].name;
    r.kind = o.kind == inject::Kind::Gaussian ? "gaussian" : "polynomial";
    if (o.kind == inject::Kind::Gaussian) {
      torch::Tensor ref = hw.reference(xb[i], w, op);
      r.split = "layer";
      r.exact = stats_of(flat64(hw.exact(xb[i], w, op) - ref));
      r.injected = stats_of(flat64(m.apply(ref, noise) - ref));
    } else if (std::optional<inject::Polarities> u =
                   o.per_polarity ? hw.proxy_polarities(xb[i], w, op) : std::nullopt) {
      std::optional<inject::Polarities> e = hw.exact_polarities(xb[i], w, op);
      torch::Tensor uu = torch::cat({flat64(u->pos), flat64(u->neg)});
      torch::Tensor ee = torch::cat({flat64(e->pos), flat64(e->neg)}) - uu;
      // apply(tensor) of a polarity-fitted model is one polarity's term u + b(ũ) + σ(ũ)·ε
      torch::Tensor ii = torch::cat({flat64(m.apply(u->pos, noise.sub(0))), flat64(m.apply(u->neg, noise.sub(1)))}) - uu;
      r.split = "polarity";
      r.exact = stats_of(ee);
      r.injected = stats_of(ii);
      const inject::BinGrid grid = inject::polarity_bins(uu.numel() ? uu.max().item<double>() : 0.0, u->bin_width, o.bins);
      r.bins = binned(uu, ee, ii, 0.0, grid.hi, grid.bins);
      torch::Tensor net_u = flat64((u->pos - u->neg) * u->scale);
      r.net_exact = stats_of(flat64((e->pos - e->neg) * e->scale) - net_u);
      r.net_injected = stats_of(flat64(m.apply(*u, noise)) - net_u);
    } else {
      torch::Tensor p = hw.proxy(xb[i], w, op);
      torch::Tensor uu = flat64(p), ee = flat64(hw.exact(xb[i], w, op)) - uu, ii = flat64(m.apply(p, noise)) - uu;
      r.split = "output";
      r.exact = stats_of(ee);
      r.injected = stats_of(ii);
      r.bins = binned(uu, ee, ii, uu.min().item<double>(), uu.max().item<double>(), o.bins);
    }
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json to_json(const std::vector<InjectCheckLayer>& layers) {
  auto st = [](const ErrorStats& s) { return nlohmann::json{{"count", s.count}, {"mean", s.mean}, {"std", s.std}}; };
  nlohmann::json j = nlohmann::json::array();
  for (const auto& l : layers) {
    nlohmann::json b = nlohmann::json::array();
    for (const auto& x : l.bins) b.push_back({{"lo", x.lo}, {"hi", x.hi}, {"exact", st(x.exact)}, {"injected", st(x.injected)}});
    j.push_back({{"layer", l.name}, {"kind", l.kind}, {"split", l.split}, {"exact", st(l.exact)},
                 {"injected", st(l.injected)}, {"bins", b}});
    if (l.net_exact.count > 0) {
      j.back()["net_exact"] = st(l.net_exact);
      j.back()["net_injected"] = st(l.net_injected);
    }
  }
  return j;
}

std::string to_markdown(const std::vector<InjectCheckLayer>& layers, std::int64_t min_count) {
  std::ostringstream s;
  s << "| layer | model | bin of u | samples | exact mean | injected mean | exact std | injected std | "
       "Δmean / σ_layer | Δstd / σ_layer |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& l : layers) {
    auto row = [&](const std::string& bin, const ErrorStats& e, const ErrorStats& i) {
      const double sd = &e == &l.net_exact && e.std > 0 ? e.std : (l.exact.std > 0 ? l.exact.std : 1.0);
      s << fmt::format("| {} | {} ({}) | {} | {} | {:.4g} | {:.4g} | {:.4g} | {:.4g} | {:+.3f} | {:+.3f} |\n", l.name,
                       l.kind, l.split, bin, e.count, e.mean, i.mean, e.std, i.std, (i.mean - e.mean) / sd,
                       (i.std - e.std) / sd);
    };
    row("all", l.exact, l.injected);
    if (l.net_exact.count > 0) row("net output (σ_layer of the net)", l.net_exact, l.net_injected);
    for (const auto& b : l.bins)
      if (b.exact.count >= min_count) row(fmt::format("[{:.3g}, {:.3g})", b.lo, b.hi), b.exact, b.injected);
  }
  return s.str();
}

}  // namespace ax::eval
