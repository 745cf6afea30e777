#include "axtrain/hw/sc/sc.h"

#include <map>
#include <mutex>

#include "axtrain/hw/mac/geometry.h"
#include "axtrain/hw/sc/emulate.h"
#include "axtrain/hw/sc/proxy.h"

namespace ax::hw::sc {

std::shared_ptr<const StreamEncoder> stream_encoder(LfsrKind kind, int length) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::shared_ptr<const StreamEncoder>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& e = cache[{static_cast<int>(kind), length}];
  if (!e) e = std::make_shared<const StreamEncoder>(kind, length);
  return e;
}

ScHardware::ScHardware(ScOptions o, LayerInfo layer)
    : o_(std::move(o)), layer_(std::move(layer)), enc_(stream_encoder(o_.lfsr, o_.stream_length)) {
  counters_ = register_buffer("sc_counters", torch::zeros({2}, torch::kInt64));
  if (o_.input.calibrates()) calibrate_inputs(o_.input.calibration_batches);
}

torch::Tensor ScHardware::proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  const std::optional<CalibratedRange> r = input_range();
  OperandScales s = choose_scales(o_, x, w, r ? &*r : nullptr);
  return sc_proxy(o_, s, x, w, op, checkpointing());
}

namespace {
struct Run {
  OperandScales scales;
  Levels levels;
  Emulation em;
};

Run run_streams(const ScOptions& o, const StreamEncoder& enc, const torch::Tensor& x0,
                const torch::Tensor& w0, const MacOp& op, const rng::Stream& draws, mac::WeightCache* cache,
                const std::optional<CalibratedRange>& range, bool polarities = false) {
  torch::NoGradGuard g;
  torch::Tensor x = x0.detach().to(torch::kCPU), w = w0.detach().to(torch::kCPU);
  Run r;
  r.scales = choose_scales(o, x, w, range ? &*range : nullptr);
  r.levels = operand_levels(o, r.scales, x, w);
  r.em = emulate(o, enc, r.levels, op, x, w, draws, cache, polarities);
  return r;
}
}  // namespace

torch::Tensor ScHardware::exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Run r = run_streams(o_, *enc_, x, w, op, draws(), &cache_, input_range());
  {
    torch::NoGradGuard g;
    counters_[0] += r.em.stats.rows;
    counters_[1] += r.em.stats.skipped;
  }
  return mac::scale_output(r.em.counts, r.scales.output(o_.stream_length), x.scalar_type(), x.device());
}

std::optional<inject::Polarities> ScHardware::proxy_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                              const MacOp& op) {
  if (o_.encoding == Encoding::Bipolar) return std::nullopt;
  const std::optional<CalibratedRange> r = input_range();
  return sc_proxy_polarities(o_, choose_scales(o_, x, w, r ? &*r : nullptr), x, w, op, checkpointing());
}

std::optional<inject::Polarities> ScHardware::exact_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                              const MacOp& op) {
  if (o_.encoding == Encoding::Bipolar) return std::nullopt;
  Run r = run_streams(o_, *enc_, x, w, op, draws(), &cache_, input_range(), /*polarities=*/true);
  const double l = static_cast<double>(o_.stream_length);
  inject::Polarities p;
  p.scale = r.scales.input * r.scales.weight * l * l;
  p.bin_width = 0.1;
  p.pos = r.em.counts.to(x.options()) * (1.0 / l);
  p.neg = r.em.counts_neg.to(x.options()) * (1.0 / l);
  return p;
}

IntegerTrace ScHardware::trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Run r = run_streams(o_, *enc_, x, w, op, draws(), &cache_, input_range());
  IntegerTrace t;
  t.input_scale = r.scales.input;
  t.weight_scale = r.scales.weight;
  const std::int64_t l = o_.stream_length;
  if (o_.encoding == Encoding::Bipolar) {
    t.input_int = r.levels.x_pos * 2 - l;
    t.weight_int = r.levels.w_pos * 2 - l;
  } else {
    t.input_int = r.levels.x_neg.defined() ? r.levels.x_pos - r.levels.x_neg : r.levels.x_pos;
    t.weight_int = r.levels.w_pos - r.levels.w_neg;
  }
  t.exact_int = r.em.counts;
  t.exact_int_unit = "stream counts (output = exact_int · L · input_scale · weight_scale)";
  return t;
}

nlohmann::json ScHardware::stats() const {
  nlohmann::json j = LayerHardware::stats();
  const double words = static_cast<double>(counters_[0].item<std::int64_t>());
  j["words"] = counters_[0].item<std::int64_t>();
  j["zero_word_rate"] = words > 0 ? static_cast<double>(counters_[1].item<std::int64_t>()) / words : 0.0;
  return j;
}

void ScHardware::reset_stats() {
  torch::NoGradGuard g;
  counters_.zero_();
}

}  // namespace ax::hw::sc
