// Parsing and dumping of the `analog` options (documented in analog.h).
#include <cstdlib>

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/analog/analog_hw.h"

namespace ax::hw {

namespace {
// A key that is one of two words or a positive number; returns 0, 1 or 2 (number in *value).
int word_or_number(config::Section& s, const std::string& key, const char* a, const char* b,
                   double* value) {
  std::string v = s.raw(key).Scalar();
  if (v == a || v == b) {
    s.mark(key);
    return v == a ? 0 : 1;
  }
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size())
    s.fail(key, fmt::format("value '{}' is not allowed; allowed: {}, {} or a positive number", v, a, b));
  *value = s.require_double(key, 1e-9, 1e18);
  return 2;
}
}  // namespace

void AnalogOptions::dump(YAML::Node& out) const {
  YAML::Node in, wt;
  input.dump(in);
  weight.dump(wt);
  out["input"] = in;
  out["weight"] = wt;
  out["adc_bits"] = adc_bits;
  if (array_size == 0) out["array_size"] = "auto";
  else out["array_size"] = array_size;
  out["linear_array_size"] = linear_array_size;
  if (full_scale == FullScale::Calibrate) out["full_scale"] = "calibrate";
  else if (full_scale == FullScale::Max) out["full_scale"] = "max";
  else out["full_scale"] = full_scale_value;
  if (sigmas >= 0) out["sigmas"] = sigmas;
  else out["percentile"] = percentile;
  out["calibration_batches"] = calibration_batches;
  out["proxy"] = proxy == Proxy::Auto ? "auto" : proxy == Proxy::Summed ? "summed" : "per_array";
  if (clamp == Clamp::Auto) out["proxy_clamp"] = "auto";
  else if (clamp == Clamp::Expected) out["proxy_clamp"] = "expected";
  else if (clamp == Clamp::None) out["proxy_clamp"] = "none";
  else out["proxy_clamp"] = clamp_value;
}

std::shared_ptr<LayerHardware> AnalogOptions::make(const LayerInfo&) const {
  return std::make_shared<AnalogHardware>(*this);
}

std::shared_ptr<const HardwareOptions> AnalogOptions::parse(config::Section& s) {
  auto o = std::make_shared<AnalogOptions>();
  config::Section in = s.section("input");
  o->input = QuantSpec::parse(in, o->input, 24, /*activation=*/true);
  if (o->input.signedness != Signedness::Unsigned)
    in.fail("signed", "analog arrays take unipolar input magnitudes (negative inputs are routed to "
                      "the opposite polarity lines); only `signed: false` is allowed");
  in.finish();
  config::Section wt = s.section("weight");
  o->weight = QuantSpec::parse(wt, o->weight, 24);
  if (o->weight.signedness != Signedness::Signed)
    wt.fail("signed", "analog weights are split-unipolar signed magnitudes; only `signed: true` is allowed");
  if (o->weight.bits < 2) wt.fail("bits", "signed weights need at least 2 bits");
  wt.finish();
  o->adc_bits = static_cast<int>(s.get_int("adc_bits", o->adc_bits, 0, 16));
  if (s.has("array_size") && s.raw("array_size").Scalar() != "auto")
    o->array_size = s.require_int("array_size", 1, 65536);
  else
    s.mark("array_size");
  o->linear_array_size = s.get_int("linear_array_size", o->linear_array_size, 1, 65536);
  if (s.has("full_scale")) {
    int k = word_or_number(s, "full_scale", "calibrate", "max", &o->full_scale_value);
    o->full_scale = k == 0 ? FullScale::Calibrate : k == 1 ? FullScale::Max : FullScale::Fixed;
  } else {
    s.mark("full_scale");
  }
  o->percentile = s.get_double("percentile", o->percentile, 1e-9, 100.0);
  if (s.has("sigmas")) {
    if (s.has("percentile")) s.fail("sigmas", "give either `percentile` or `sigmas` (mean + k·σ), not both");
    if (o->full_scale != FullScale::Calibrate) s.fail("sigmas", "applies to full_scale: calibrate only");
    o->sigmas = s.require_double("sigmas", 0.0, 1000.0);
  }
  o->calibration_batches = s.get_int("calibration_batches", o->calibration_batches, 1, 1000000);
  o->proxy = s.get_choice<Proxy>("proxy", o->proxy,
                                 {{"auto", Proxy::Auto}, {"summed", Proxy::Summed}, {"per_array", Proxy::PerArray}});
  if (s.has("proxy_clamp") && s.raw("proxy_clamp").IsScalar() && s.raw("proxy_clamp").Scalar() == "expected") {
    if (o->proxy == Proxy::PerArray)
      s.fail("proxy_clamp", "'expected' applies to proxy: summed or auto (its injection steps) only");
    o->clamp = Clamp::Expected;
  } else if (s.has("proxy_clamp")) {
    int k = word_or_number(s, "proxy_clamp", "auto", "none", &o->clamp_value);
    o->clamp = k == 0 ? Clamp::Auto : k == 1 ? Clamp::None : Clamp::Fixed;
  } else {
    s.mark("proxy_clamp");
  }
  return o;
}

}  // namespace ax::hw
