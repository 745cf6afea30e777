// Parsing and dumping of the `analog` options (documented in analog.h).
#include <cstdlib>

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/analog/analog_hw.h"
#include "axtrain/hw/operand_key.h"

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

const config::Options<AnalogOptions>& AnalogOptions::options() {
  using O = AnalogOptions;
  using config::OptionRow;
  static const config::Options<O> opts =
      config::Options<O>("hardware (analog)")
          .with(operand_key<O>(
              "input", &O::input, 24, /*activation=*/true,
              {"input", "QuantSpec", "bits 1..24", "{bits: 8, scale: max_abs, signed: false}", "the inputs' quantisation"},
              [](config::Section& in, const O&, const QuantSpec& q) {
                if (q.signedness != Signedness::Unsigned)
                  in.fail("signed", "analog arrays take unipolar input magnitudes (negative inputs are routed to "
                                    "the opposite polarity lines); only `signed: false` is allowed");
              }))
          .with(operand_key<O>(
              "weight", &O::weight, 24, /*activation=*/false,
              {"weight", "QuantSpec", "bits 2..24", "{bits: 8, scale: max_abs, signed: true}", "the weights' quantisation"},
              [](config::Section& wt, const O&, const QuantSpec& q) {
                if (q.signedness != Signedness::Signed)
                  wt.fail("signed", "analog weights are split-unipolar signed magnitudes; only `signed: true` is allowed");
                if (q.bits < 2) wt.fail("bits", "signed weights need at least 2 bits");
              }))
          .integer("adc_bits", [](O& o) -> int& { return o.adc_bits; }, 0, 16, "ADC resolution; 0 = ideal")
          .custom(
              "array_size",
              [](config::Section& s, O& o) {
                if (s.has("array_size") && s.raw("array_size").Scalar() != "auto")
                  o.array_size = s.require_int("array_size", 1, 65536);
                else
                  s.mark("array_size");
              },
              [](const O& o, YAML::Node& n) {
                if (o.array_size == 0) n["array_size"] = "auto";
                else n["array_size"] = o.array_size;
              },
              {OptionRow{"array_size", "auto | int", "1..65536", "auto", "elements per array in convolutions"}})
          .integer("linear_array_size", [](O& o) -> std::int64_t& { return o.linear_array_size; }, 1, 65536,
                   "elements per array in linear layers")
          .custom(
              "full_scale",
              [](config::Section& s, O& o) {
                if (s.has("full_scale")) {
                  int k = word_or_number(s, "full_scale", "calibrate", "max", &o.full_scale_value);
                  o.full_scale = k == 0 ? FullScale::Calibrate : k == 1 ? FullScale::Max : FullScale::Fixed;
                } else {
                  s.mark("full_scale");
                }
              },
              [](const O& o, YAML::Node& n) {
                if (o.full_scale == FullScale::Calibrate) n["full_scale"] = "calibrate";
                else if (o.full_scale == FullScale::Max) n["full_scale"] = "max";
                else n["full_scale"] = o.full_scale_value;
              },
              {OptionRow{"full_scale", "calibrate | max | number", "", "calibrate", "ADC full scale"}})
          .number("percentile", [](O& o) -> double& { return o.percentile; }, 1e-9, 100.0,
                  "percentile of P⁺ ∪ P⁻ for full_scale: calibrate")
          .dump_only_if([](const O& o) { return o.sigmas < 0; })
          .custom(
              "sigmas",
              [](config::Section& s, O& o) {
                if (!s.has("sigmas")) return;
                if (s.has("percentile")) s.fail("sigmas", "give either `percentile` or `sigmas` (mean + k·σ), not both");
                if (o.full_scale != FullScale::Calibrate) s.fail("sigmas", "applies to full_scale: calibrate only");
                o.sigmas = s.require_double("sigmas", 0.0, 1000.0);
              },
              [](const O& o, YAML::Node& n) {
                if (o.sigmas >= 0) n["sigmas"] = o.sigmas;
              },
              {OptionRow{"sigmas", "number", "[0, 1000]", "unset", "instead of percentile: FS = mean + k·σ"}})
          .integer("calibration_batches", [](O& o) -> std::int64_t& { return o.calibration_batches; }, 1, 1000000,
                   "training-mode forwards that calibrate, then frozen")
          .choice<Proxy>("proxy", [](O& o) -> Proxy& { return o.proxy; },
                         {{"auto", Proxy::Auto}, {"summed", Proxy::Summed}, {"per_array", Proxy::PerArray}},
                         "gradient surrogate")
          .custom(
              "proxy_clamp",
              [](config::Section& s, O& o) {
                if (s.has("proxy_clamp") && s.raw("proxy_clamp").IsScalar() &&
                    s.raw("proxy_clamp").Scalar() == "expected") {
                  if (o.proxy == Proxy::PerArray)
                    s.fail("proxy_clamp", "'expected' applies to proxy: summed or auto (its injection steps) only");
                  o.clamp = Clamp::Expected;
                } else if (s.has("proxy_clamp")) {
                  int k = word_or_number(s, "proxy_clamp", "auto", "none", &o.clamp_value);
                  o.clamp = k == 0 ? Clamp::Auto : k == 1 ? Clamp::None : Clamp::Fixed;
                } else {
                  s.mark("proxy_clamp");
                }
              },
              [](const O& o, YAML::Node& n) {
                if (o.clamp == Clamp::Auto) n["proxy_clamp"] = "auto";
                else if (o.clamp == Clamp::Expected) n["proxy_clamp"] = "expected";
                else if (o.clamp == Clamp::None) n["proxy_clamp"] = "none";
                else n["proxy_clamp"] = o.clamp_value;
              },
              {OptionRow{"proxy_clamp", "auto | expected | none | number", "", "auto", "clamp of the proxy"}});
  return opts;
}

void AnalogOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<LayerHardware> AnalogOptions::make(const LayerInfo&) const {
  return std::make_shared<AnalogHardware>(*this);
}

std::shared_ptr<const HardwareOptions> AnalogOptions::parse(config::Section& s) {
  auto o = std::make_shared<AnalogOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::hw
