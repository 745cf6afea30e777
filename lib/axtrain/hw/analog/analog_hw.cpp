#include "axtrain/hw/analog/analog_hw.h"

#include "axtrain/dist/comm.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/analog/kernel.h"
#include "axtrain/hw/analog/proxy.h"
#include "axtrain/hw/mac/geometry.h"

namespace ax::hw {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kMaxBins = std::int64_t{1} << 20;

// Linear layers may have leading batch dimensions; the kernel takes [rows, in].
torch::Tensor rows_of(const torch::Tensor& t, const MacOp& op) {
  return op.kind == MacOp::Kind::Linear ? t.reshape({-1, t.size(-1)}) : t;
}
}  // namespace

AnalogHardware::AnalogHardware(AnalogOptions o) : o_(std::move(o)) {
  full_scale_ = register_buffer("full_scale", torch::scalar_tensor(kNaN, torch::kFloat64));
  proxy_clamp_ = register_buffer("proxy_clamp", torch::scalar_tensor(kNaN, torch::kFloat64));
  calibrated_ = register_buffer("calibrated_batches", torch::scalar_tensor(0, torch::kInt64));
  if (o_.input.calibrates()) calibrate_inputs(o_.input.calibration_batches);
}

std::int64_t AnalogHardware::calibration_batches_left() const {
  std::int64_t left = LayerHardware::calibration_batches_left();
  if (o_.needs_calibration())
    left = std::max(left, o_.calibration_batches - calibrated_.item<std::int64_t>());
  return std::max<std::int64_t>(left, 0);
}

torch::Tensor AnalogHardware::forward(const torch::Tensor& x, const torch::Tensor& w,
                                      const MacOp& op, Mode mode) {
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_forward_};
  in_forward_ = true;
  calibrated_this_forward_ = false;
  call_mode_ = mode;
  return LayerHardware::forward(x, w, op, mode);
}

AnalogHardware::Operands AnalogHardware::quantise(const torch::Tensor& x, const torch::Tensor& w) const {
  torch::NoGradGuard g;
  Operands q;
  torch::Tensor xa = x.detach().to(torch::kCPU).abs();
  QuantParams qx = input_quant(xa, o_.input, /*allow_signed=*/false);
  torch::Tensor mag = quantize_codes(xa, qx);
  q.xc = torch::where(x.detach().to(torch::kCPU) < 0, -mag, mag).to(torch::kInt32);
  torch::Tensor wd = w.detach().to(torch::kCPU);
  QuantParams qw = choose_quant(wd, o_.weight);
  q.wc = quantize_codes(wd, qw).to(torch::kInt32);
  q.sa = qx.scale;
  q.sw = qw.scale;
  q.max_x = qx.hi;
  q.max_w = qw.hi;
  return q;
}

std::int64_t AnalogHardware::array_size(const MacOp& op, const torch::Tensor& w) const {
  if (op.kind == MacOp::Kind::Linear) return o_.linear_array_size;
  return o_.array_size > 0 ? o_.array_size : w.size(2) * w.size(3);
}

AnalogHardware::Range AnalogHardware::configured_range(const Operands& q, const MacOp& op) const {
  Range r{kNaN, kNaN};
  if (o_.adc_bits == 0) r.fs = kInf;
  else if (o_.full_scale == AnalogOptions::FullScale::Max)
    r.fs = analog::max_partial_sum(array_size(op, q.wc), q.max_x, q.max_w);
  else if (o_.full_scale == AnalogOptions::FullScale::Fixed) r.fs = o_.full_scale_value;
  if (o_.clamp == AnalogOptions::Clamp::None) r.clamp = kInf;
  else if (o_.clamp == AnalogOptions::Clamp::Fixed) r.clamp = o_.clamp_value;
  else if (o_.adc_bits == 0) r.clamp = kInf;
  else if (o_.proxy == AnalogOptions::Proxy::PerArray) r.clamp = r.fs;
  else if (o_.clamp == AnalogOptions::Clamp::Auto && o_.proxy == AnalogOptions::Proxy::Summed)
    r.clamp = r.fs * static_cast<double>(analog::arrays_per_output(q.wc, array_size(op, q.wc)));
  return r;
}

std::int64_t AnalogHardware::check_kernel_range(std::int64_t A, const Operands& q) const {
  const double pmax = analog::max_partial_sum(A, q.max_x, q.max_w);
  if (pmax > static_cast<double>(std::numeric_limits<std::int32_t>::max()))
    throw ConfigError(fmt::format(
        "analog: partial sums of {} elements of {}-bit inputs and {}-bit weights reach {} and overflow "
        "the int32 kernel; lower input/weight bits or the array size", A, o_.input.bits, o_.weight.bits, pmax));
  return static_cast<std::int64_t>(pmax);
}

void AnalogHardware::accumulate_histogram(const Operands& q, const MacOp& op,
                                          std::vector<std::int64_t>& hist, std::int64_t& width) const {
  const std::int64_t A = array_size(op, q.wc);
  const std::int64_t pmax = check_kernel_range(A, q);
  if (hist.empty()) {
    width = (pmax + kMaxBins) / kMaxBins;  // ceil((pmax + 1) / kMaxBins)
    hist.assign(static_cast<std::size_t>(pmax / width + 1), 0);
  }
  analog::histogram(rows_of(q.xc, op), q.wc, op, A, width, hist);
}

AnalogHardware::Range AnalogHardware::range_from_histogram(const Operands& q, const MacOp& op,
                                                           const std::vector<std::int64_t>& hist,
                                                           std::int64_t width) const {
  Range r = configured_range(q, op);
  double n = 0;
  for (std::int64_t c : hist) n += static_cast<double>(c);
  // Value represented by bin b: exact for width 1, the bin's centre otherwise.
  auto value = [&](std::size_t b) {
    return static_cast<double>(b) * static_cast<double>(width) + 0.5 * static_cast<double>(width - 1);
  };
  if (o_.full_scale == AnalogOptions::FullScale::Calibrate && o_.sigmas >= 0) {
    double s1 = 0, s2 = 0;
    for (std::size_t b = 0; b < hist.size(); ++b)
      if (hist[b]) {
        const double v = value(b), c = static_cast<double>(hist[b]);
        s1 += c * v;
        s2 += c * v * v;
      }
    const double mean = n > 0 ? s1 / n : 0.0;
    const double var = n > 0 ? std::max(0.0, s2 / n - mean * mean) : 0.0;
    r.fs = std::max(1.0, mean + o_.sigmas * std::sqrt(var));
  } else if (o_.full_scale == AnalogOptions::FullScale::Calibrate) {
    const double rank = std::max(1.0, std::ceil(o_.percentile / 100.0 * n));
    double cum = 0;
    std::size_t b = 0;
    for (; b < hist.size(); ++b) {
      cum += static_cast<double>(hist[b]);
      if (cum >= rank) break;
    }
    r.fs = std::max(1.0, value(std::min(b, hist.size() - 1)));
  }
  const bool expected = o_.clamp == AnalogOptions::Clamp::Expected ||
                        (o_.clamp == AnalogOptions::Clamp::Auto && o_.proxy == AnalogOptions::Proxy::Auto);
  if (o_.clamp == AnalogOptions::Clamp::Auto && o_.proxy == AnalogOptions::Proxy::PerArray) {
    r.clamp = r.fs;
  } else if (o_.clamp == AnalogOptions::Clamp::Auto && o_.proxy == AnalogOptions::Proxy::Summed) {
    r.clamp = r.fs * static_cast<double>(analog::arrays_per_output(q.wc, array_size(op, q.wc)));
  } else if (expected) {
    {
      double s = 0;
      for (std::size_t b = 0; b < hist.size(); ++b)
        if (hist[b]) s += static_cast<double>(hist[b]) * std::min(value(b), r.fs);
      const double arrays = static_cast<double>(analog::arrays_per_output(q.wc, array_size(op, q.wc)));
      r.clamp = std::max(1.0, n > 0 ? arrays * s / n : r.fs);
    }
  }
  return r;
}

AnalogHardware::Range AnalogHardware::range(const Operands& q, const MacOp& op) {
  if (!o_.needs_calibration()) return configured_range(q, op);
  const std::int64_t done = calibrated_.item<std::int64_t>();
  const bool store = is_training() && done < o_.calibration_batches &&
                     !(in_forward_ && calibrated_this_forward_);
  if (store) {
    if (dist::Comm* comm = dist::current()) {
      // Data-parallel: the histogram of every rank's batch, so that all ranks freeze the same
      // full scale (the bin width depends on the weights and bits only: the same on every rank).
      std::vector<std::int64_t> h(hist_.size(), 0);
      std::int64_t width = hist_width_;
      accumulate_histogram(q, op, h, width);
      std::vector<torch::Tensor> t{torch::from_blob(h.data(), {static_cast<std::int64_t>(h.size())}, torch::kInt64)};
      comm->all_reduce_sum(t);
      if (hist_.empty()) {
        hist_.assign(h.size(), 0);
        hist_width_ = width;
      }
      for (std::size_t b = 0; b < h.size(); ++b) hist_[b] += h[b];
    } else {
      accumulate_histogram(q, op, hist_, hist_width_);
    }
    Range r = range_from_histogram(q, op, hist_, hist_width_);
    torch::NoGradGuard g;
    full_scale_.fill_(r.fs);
    proxy_clamp_.fill_(r.clamp);
    calibrated_.fill_(done + 1);
    if (in_forward_) calibrated_this_forward_ = true;
    if (done + 1 == o_.calibration_batches) {
      hist_.clear();
      hist_.shrink_to_fit();
    }
    return r;
  }
  if (done > 0) return {full_scale_.item<double>(), proxy_clamp_.item<double>()};
  std::vector<std::int64_t> h;
  std::int64_t width = 0;
  accumulate_histogram(q, op, h, width);
  return range_from_histogram(q, op, h, width);
}

AnalogHardware::Run AnalogHardware::run(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Run r;
  r.q = quantise(x, w);
  const std::int64_t A = array_size(op, w);
  check_kernel_range(A, r.q);
  const Range rg = range(r.q, op);
  analog::Adc adc;
  r.step = 1.0;
  if (o_.adc_bits > 0) {
    adc.levels = o_.levels();
    adc.gain = static_cast<double>(adc.levels) / rg.fs;
    adc.full_scale = rg.fs;
    r.step = rg.fs / static_cast<double>(adc.levels);
  }
  analog::RunResult res = analog::run(rows_of(r.q.xc, op), r.q.wc, op, A, adc, r.q.max_x, r.q.max_w, &cache_);
  partial_sums_ += res.partial_sums;
  saturated_ += res.saturated;
  r.acc = res.acc;
  if (op.kind == MacOp::Kind::Linear) {
    std::vector<std::int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = w.size(0);
    r.acc = r.acc.reshape(shape);
  }
  return r;
}

torch::Tensor AnalogHardware::exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Run r = run(x, w, op);
  return mac::scale_output(r.acc, r.step * r.q.sa * r.q.sw, x.scalar_type(), x.device());
}

IntegerTrace AnalogHardware::trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Run r = run(x, w, op);
  IntegerTrace t;
  t.input_scale = r.q.sa;
  t.weight_scale = r.q.sw;
  t.input_int = r.q.xc;
  t.weight_int = r.q.wc;
  t.exact_int = r.acc;
  t.exact_int_unit = fmt::format("ADC levels of {} integer products", r.step);
  return t;
}

std::pair<torch::Tensor, torch::Tensor> AnalogHardware::straight_through(const torch::Tensor& x, const torch::Tensor& w,
                                                                         const Operands& q) {
  return {x + (q.xc.to(x.options()) * q.sa - x.detach()), w + (q.wc.to(w.options()) * q.sw - w.detach())};
}

torch::Tensor AnalogHardware::reference(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  auto [xq, wq] = straight_through(x, w, quantise(x, w));
  return op.apply(xq, wq);
}

torch::Tensor AnalogHardware::proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Operands q = quantise(x, w);
  auto [xq, wq] = straight_through(x, w, q);
  // proxy: auto — the per-array mask in accurate-model steps, the summed form in injection steps
  // (PAPERS.md §7.5, G-21); a direct call outside forward() counts as an accurate-model step.
  const bool auto_proxy = o_.proxy == AnalogOptions::Proxy::Auto;
  const bool per_array = o_.proxy == AnalogOptions::Proxy::PerArray ||
                         (auto_proxy && !(in_forward_ && call_mode_ == Mode::Inject));
  double clamp = kInf;
  if (o_.clamp != AnalogOptions::Clamp::None && (o_.adc_bits > 0 || o_.clamp == AnalogOptions::Clamp::Fixed)) {
    const Range rg = range(q, op);
    clamp = auto_proxy && per_array && o_.clamp != AnalogOptions::Clamp::Fixed ? rg.fs : rg.clamp;
  }
  if (!std::isfinite(clamp)) return op.apply(xq, wq);
  const double c = clamp * q.sa * q.sw;
  if (!per_array) return analog::summed_proxy(xq, wq, c, op);
  // In an exact-mode step the proxy is only the gradient path: its value is replaced by the
  // accurate model's (LayerHardware::forward), so the per-array forward is skipped.
  const bool value_needed = !(in_forward_ && call_mode_ == Mode::Exact);
  if (op.kind == MacOp::Kind::Linear && x.dim() != 2) {
    torch::Tensor y = analog::per_array_proxy(rows_of(xq, op), wq, c, op, array_size(op, w), value_needed);
    std::vector<std::int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = w.size(0);
    return y.reshape(shape);
  }
  return analog::per_array_proxy(xq, wq, c, op, array_size(op, w), value_needed);
}

nlohmann::json AnalogHardware::stats() const {
  nlohmann::json j = LayerHardware::stats();
  if (partial_sums_ > 0) {
    j["adc_saturation"] = static_cast<double>(saturated_) / static_cast<double>(partial_sums_);
    j["partial_sums"] = partial_sums_;
  }
  double fs = full_scale_.item<double>(), t = proxy_clamp_.item<double>();
  if (std::isfinite(fs)) j["full_scale"] = fs;
  if (std::isfinite(t)) j["proxy_clamp"] = t;
  return j;
}

void AnalogHardware::reset_stats() {
  LayerHardware::reset_stats();
  partial_sums_ = 0;
  saturated_ = 0;
}

}  // namespace ax::hw
