#include "axtrain/hw/hardware.h"

#include "axtrain/dist/comm.h"

#include <cmath>
#include <stdexcept>

#include <torch/autograd.h>

namespace ax::hw {

namespace {

// Identity forward; backward zeroes the gradient elements with |g| ≥ 1 (AxTrain Eq. 12).
struct ClipGradient : torch::autograd::Function<ClipGradient> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& y) { return y.view_as(y); }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list g) {
    return {g[0] * (g[0].abs() < 1).to(g[0].scalar_type())};
  }
};

// Identity forward; backward passes the gradient where |x| ≤ 1 (the usual straight-through gate).
struct GateOnInput : torch::autograd::Function<GateOnInput> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    ctx->save_for_backward({x});
    return x.view_as(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list g) {
    torch::Tensor x = ctx->get_saved_variables()[0];
    return {g[0] * (x.abs() <= 1).to(g[0].scalar_type())};
  }
};

}  // namespace

torch::Tensor LayerHardware::exact_gradient_path(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  switch (exact_gradient_) {
    case ExactGradient::Proxy:
      return proxy(x, w, op);
    case ExactGradient::SteClip:
      return ClipGradient::apply(op.apply(x, w));
    case ExactGradient::SteInput:
      return op.apply(GateOnInput::apply(x), w);
  }
  return proxy(x, w, op);
}

void LayerHardware::calibrate_inputs(std::int64_t batches) {
  input_calibration_ = batches;
  if (input_batches_.defined()) return;
  input_max_abs_ = register_buffer("input_max_abs", torch::scalar_tensor(0.0, torch::kFloat64));
  input_min_ = register_buffer("input_min", torch::scalar_tensor(0.0, torch::kFloat64));
  input_batches_ = register_buffer("input_batches", torch::scalar_tensor(0, torch::kInt64));
}

std::optional<CalibratedRange> LayerHardware::input_range() const {
  if (!input_calibration_ || input_batches_.item<std::int64_t>() == 0) return std::nullopt;
  return CalibratedRange{input_max_abs_.item<double>(), input_min_.item<double>() < 0.0};
}

QuantParams LayerHardware::input_quant(const torch::Tensor& x, const QuantSpec& spec, bool allow_signed) const {
  const std::optional<CalibratedRange> r = spec.calibrates() ? input_range() : std::nullopt;
  return choose_quant(x, spec, allow_signed, r ? &*r : nullptr);
}

std::int64_t LayerHardware::calibration_batches_left() const {
  if (!input_calibration_) return 0;
  return std::max<std::int64_t>(0, input_calibration_ - input_batches_.item<std::int64_t>());
}

void LayerHardware::observe_input(const torch::Tensor& x, Mode mode) {
  if (!input_calibration_ || mode == Mode::Ideal || !is_training() || x.numel() == 0) return;
  const std::int64_t done = input_batches_.item<std::int64_t>();
  if (done >= input_calibration_) return;
  torch::NoGradGuard g;
  torch::Tensor xd = x.detach();
  double m = xd.abs().max().item<double>(), lo = xd.min().item<double>();
  if (dist::Comm* comm = dist::current()) {
    // Data-parallel: the range of every rank's batch, so that all ranks freeze the same scale.
    std::vector<torch::Tensor> t{torch::tensor({m, -lo}, torch::kFloat64)};
    comm->all_reduce_max(t);
    m = t[0][0].item<double>();
    lo = -t[0][1].item<double>();
  }
  if (!std::isfinite(m)) return;  // a diverged batch does not set a chip's scale
  input_max_abs_.fill_(done == 0 ? m : std::max(m, input_max_abs_.item<double>()));
  input_min_.fill_(done == 0 ? lo : std::min(lo, input_min_.item<double>()));
  input_batches_.fill_(done + 1);
}

torch::Tensor LayerHardware::forward(const torch::Tensor& x, const torch::Tensor& w,
                                     const MacOp& op, Mode mode) {
  observe_input(x, mode);
  switch (mode) {
    case Mode::Ideal:
      return op.apply(x, w);
    case Mode::Proxy:
      return proxy(x, w, op);
    case Mode::Inject:
      if (calibrate_next_ && error_model_) return calibrate(x, w, op);
      return inject(x, w, op);
    case Mode::Exact: {
      bool needs_grad = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad());
      if (!needs_grad) {
        torch::NoGradGuard guard;
        return exact(x, w, op);
      }
      torch::Tensor p = exact_gradient_path(x, w, op);
      torch::Tensor e;
      {
        torch::NoGradGuard guard;
        e = exact(x.detach(), w.detach(), op);
      }
      // Forward value = accurate emulation; gradient = the proxy's (or a straight-through one).
      return p + (e - p.detach());
    }
  }
  return op.apply(x, w);
}

torch::Tensor LayerHardware::proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  return op.apply(x, w);
}

torch::Tensor LayerHardware::exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  return op.apply(x, w);
}

IntegerTrace LayerHardware::trace(const torch::Tensor&, const torch::Tensor&, const MacOp&) {
  return {};
}

torch::Tensor LayerHardware::inject(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  if (!error_model_) return proxy(x, w, op);
  const rng::Stream noise = draws(rng::Draw::Noise);
  if (error_model_->kind() == inject::Kind::Polynomial) {
    if (error_model_->per_polarity())
      if (std::optional<inject::Polarities> u = proxy_polarities(x, w, op)) return error_model_->apply(*u, noise);
    return error_model_->apply(proxy(x, w, op), noise);
  }
  if (error_model_->gradient() == inject::Gradient::Reference)
    return error_model_->apply(reference(x, w, op), noise);  // reference + noise, the reference's gradient
  torch::Tensor p = proxy(x, w, op);
  torch::Tensor v;
  {
    torch::NoGradGuard guard;
    v = error_model_->apply(reference(x.detach(), w.detach(), op), noise);
  }
  return p + (v - p.detach());
}

torch::Tensor LayerHardware::reference(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  return op.apply(x, w);
}

std::optional<inject::Polarities> LayerHardware::proxy_polarities(const torch::Tensor&, const torch::Tensor&,
                                                                 const MacOp&) {
  return std::nullopt;
}

std::optional<inject::Polarities> LayerHardware::exact_polarities(const torch::Tensor&, const torch::Tensor&,
                                                                 const MacOp&) {
  return std::nullopt;
}

void LayerHardware::set_error_model(std::shared_ptr<inject::ErrorModel> m) {
  if (error_model_) error_model_ = replace_module("error_model", std::move(m));
  else error_model_ = register_module("error_model", std::move(m));
}

torch::Tensor LayerHardware::calibrate(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  const bool needs_grad = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad());
  const bool poly = error_model_->kind() == inject::Kind::Polynomial;
  torch::Tensor p, e;
  std::optional<inject::Polarities> u;
  if (poly && error_model_->per_polarity()) {
    torch::AutoGradMode mode(needs_grad);
    u = proxy_polarities(x, w, op);
  }
  if (u) {
    std::optional<inject::Polarities> r;
    {
      torch::NoGradGuard guard;
      r = exact_polarities(x.detach(), w.detach(), op);
    }
    if (!r) throw std::logic_error("hardware gives proxy polarities but not the accurate model's");
    torch::NoGradGuard guard;
    if (dist::Comm* comm = dist::current()) {
      // Data-parallel: one fit on the union of every rank's calibration batch.
      auto all = [comm](const inject::Polarities& p) {
        inject::Polarities q = p;
        q.pos = comm->all_gather(p.pos.detach());
        q.neg = comm->all_gather(p.neg.detach());
        return q;
      };
      last_calibration_ = error_model_->calibrate(all(*u), all(*r));
    } else {
      last_calibration_ = error_model_->calibrate(*u, *r);
    }
    e = (r->pos - r->neg) * r->scale;
  } else {
    if (needs_grad) p = proxy(x, w, op);
    torch::NoGradGuard guard;
    e = exact(x.detach(), w.detach(), op);
    torch::Tensor base = poly ? (needs_grad ? p.detach() : proxy(x, w, op)) : reference(x.detach(), w.detach(), op);
    if (dist::Comm* comm = dist::current())  // data-parallel: the union of the ranks' batches
      last_calibration_ = error_model_->calibrate(comm->all_gather(base), comm->all_gather(e));
    else
      last_calibration_ = error_model_->calibrate(base, e);
  }
  if (!needs_grad) return e;
  if (u) p = (u->pos - u->neg) * u->scale;  // = proxy(), on the same autograd graph as u
  return p + (e - p.detach());
}

torch::Tensor LayerHardware::read_weight(const torch::Tensor& w, Mode mode) {
  if (!storage_ || mode == Mode::Ideal) return w;
  return storage_->read(w, draws(rng::Draw::StorageFlips));
}

void LayerHardware::set_storage(std::shared_ptr<WeightStorage> storage) {
  storage_ = storage ? register_module("storage", std::move(storage)) : nullptr;
}

nlohmann::json LayerHardware::stats() const {
  nlohmann::json j = nlohmann::json::object();
  if (storage_) j["storage"] = storage_->stats();
  return j;
}

void LayerHardware::reset_stats() {
  if (storage_) storage_->reset_stats();
}

Registry<HardwareParser>& hardware_registry() {
  static Registry<HardwareParser> r("hardware type");
  return r;
}

Registry<StorageParser>& storage_registry() {
  static Registry<StorageParser> r("storage type");
  return r;
}

}  // namespace ax::hw
