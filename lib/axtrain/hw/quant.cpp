#include "axtrain/hw/quant.h"

#include <cmath>

#include "axtrain/config/section.h"

namespace ax::hw {

QuantSpec QuantSpec::parse(config::Section& s, const QuantSpec& defaults, int max_bits, bool activation) {
  QuantSpec q = defaults;
  q.bits = static_cast<int>(s.get_int("bits", defaults.bits, 1, max_bits));
  if (s.has("scale")) {
    std::string v = s.require_string("scale");
    if (v == "max_abs") {
      q.policy = ScalePolicy::MaxAbs;
    } else if (v == "pow2") {
      q.policy = ScalePolicy::Pow2;
    } else if (v == "calibrate" || v == "calibrate_pow2") {
      if (!activation)
        s.fail("scale", "'" + v + "' applies to activations (input); weight scales are static per tensor: use "
                        "max_abs, pow2 or a number");
      q.policy = v == "calibrate" ? ScalePolicy::Calibrate : ScalePolicy::CalibratePow2;
    } else {
      q.policy = ScalePolicy::Fixed;
      q.fixed_scale = s.require_double("scale", 1e-30, 1e30);
    }
  } else {
    s.mark("scale");
  }
  q.signedness = s.get_choice<Signedness>(
      "signed", defaults.signedness,
      {{"auto", Signedness::Auto}, {"true", Signedness::Signed}, {"false", Signedness::Unsigned}});
  if (q.calibrates())
    q.calibration_batches = s.get_int("calibration_batches", defaults.calibration_batches, 1, 1000000);
  else if (s.has("calibration_batches"))
    s.fail("calibration_batches", "only with scale: calibrate or calibrate_pow2");
  return q;
}

void QuantSpec::dump(YAML::Node& out) const {
  out["bits"] = bits;
  if (policy == ScalePolicy::MaxAbs) out["scale"] = "max_abs";
  else if (policy == ScalePolicy::Pow2) out["scale"] = "pow2";
  else if (policy == ScalePolicy::Calibrate) out["scale"] = "calibrate";
  else if (policy == ScalePolicy::CalibratePow2) out["scale"] = "calibrate_pow2";
  else out["scale"] = fixed_scale;
  out["signed"] = signedness == Signedness::Auto ? "auto"
                  : signedness == Signedness::Signed ? "true" : "false";
  if (calibrates()) out["calibration_batches"] = calibration_batches;
}

QuantParams choose_quant(const torch::Tensor& t, const QuantSpec& spec, bool allow_signed,
                         const CalibratedRange* calibrated) {
  const bool static_range = spec.calibrates() && calibrated;
  bool is_signed = allow_signed && spec.signedness != Signedness::Unsigned;
  if (is_signed && spec.signedness == Signedness::Auto)
    is_signed = static_range ? calibrated->negative : t.min().item<double>() < 0.0;
  QuantParams q;
  if (is_signed) {
    q.hi = (std::int64_t{1} << (spec.bits - 1)) - 1;
    q.lo = -q.hi;
  } else {
    q.hi = (std::int64_t{1} << spec.bits) - 1;
    q.lo = 0;
  }
  if (q.hi == 0) q.hi = 1;  // 1-bit signed: {-1, 0, 1} is not representable; keep {0, 1}
  if (spec.policy == ScalePolicy::Fixed) {
    q.scale = spec.fixed_scale;
    return q;
  }
  double max_abs = static_range ? calibrated->max_abs : t.abs().max().item<double>();
  if (!(max_abs > 0.0) || !std::isfinite(max_abs)) {
    q.scale = 1.0;
    return q;
  }
  q.scale = policy_step(max_abs, static_cast<double>(q.hi), spec.policy);
  return q;
}

double policy_step(double max_abs, double levels, ScalePolicy policy) {
  const double step = max_abs / levels;
  return policy == ScalePolicy::Pow2 || policy == ScalePolicy::CalibratePow2 ? std::exp2(std::ceil(std::log2(step)))
                                                                              : step;
}

torch::Tensor quantize_codes(const torch::Tensor& t, const QuantParams& q) {
  return torch::clamp(torch::round(t / q.scale), static_cast<double>(q.lo), static_cast<double>(q.hi));
}

torch::Tensor fake_quant(const torch::Tensor& t, const QuantParams& q) {
  torch::Tensor v = quantize_codes(t.detach(), q) * q.scale;
  return t + (v - t.detach());
}

}  // namespace ax::hw
