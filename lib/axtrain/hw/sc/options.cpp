#include "axtrain/hw/sc/options.h"

#include "axtrain/config/section.h"
#include "axtrain/hw/sc/sc.h"
#include "axtrain/hw/sc/streams.h"

namespace ax::hw::sc {

namespace {
// Reads `scale` (and `signed` for inputs) of an operand section; `bits` is rejected.
QuantSpec parse_operand(config::Section& s, const QuantSpec& defaults, bool with_signed) {
  if (s.has("bits"))
    s.fail("bits", "sc operands have no bit width: the level count is set by stream_length");
  if (!with_signed && s.has("signed"))
    s.fail("signed", "sc weights are always signed (split-unipolar W⁺/W⁻ or bipolar)");
  QuantSpec q = QuantSpec::parse(s, defaults, 24, /*activation=*/with_signed);
  s.finish();
  return q;
}

// An operand's default: fixed scale 1/L (value 1.0 ↔ level L).
QuantSpec operand_default(const ScOptions& o, Signedness sign) {
  return QuantSpec{5, ScalePolicy::Fixed, 1.0 / static_cast<double>(o.stream_length), sign};
}

YAML::Node dump_operand(const QuantSpec& q, bool with_signed) {
  YAML::Node full, out;
  q.dump(full);
  out["scale"] = full["scale"];
  if (with_signed) out["signed"] = full["signed"];
  if (full["calibration_batches"]) out["calibration_batches"] = full["calibration_batches"];
  return out;
}
}  // namespace

const config::Options<ScOptions>& ScOptions::options() {
  using O = ScOptions;
  using config::OptionRow;
  const std::int64_t big = std::int64_t{1} << 40;
  static const config::Options<O> phase =
      config::Options<O>("phase")
          .choice<PhaseMode>("mode", [](O& o) -> PhaseMode& { return o.phase_mode; },
                             {{"scatter", PhaseMode::Scatter},
                              {"state", PhaseMode::State},
                              {"index", PhaseMode::Index},
                              {"random", PhaseMode::Random}},
                             "stream phases (docs/hardware/sc.md § Phases; G-12)")
          .integer("input", [](O& o) -> std::int64_t& { return o.input_offset; }, 0, big,
                   "phase offset of the activation streams")
          .integer("weight_pos", [](O& o) -> std::int64_t& { return o.weight_pos_offset; }, 0, big,
                   "phase offset of the W⁺ (bipolar: weight) streams")
          .integer("weight_neg", [](O& o) -> std::int64_t& { return o.weight_neg_offset; }, 0, big,
                   "phase offset of the W⁻ streams");
  static const config::Options<O> opts =
      config::Options<O>("hardware (sc)")
          .integer("stream_length", [](O& o) -> std::int64_t& { return o.stream_length; }, 32, 1024,
                   "L, bits per stream (a power of two)")
          .check([](const O& o) {
            return valid_stream_length(o.stream_length)
                       ? std::string()
                       : std::string("must be a power of two from 32 to 1024 (the LFSR has log2(L) bits)");
          })
          .choice<Encoding>("encoding", [](O& o) -> Encoding& { return o.encoding; },
                            {{"unipolar", Encoding::Unipolar}, {"bipolar", Encoding::Bipolar}},
                            "unipolar (split W⁺/W⁻, AND) or bipolar (XNOR)")
          .choice<Accumulate>("accumulate", [](O& o) -> Accumulate& { return o.accumulate; },
                              {{"or", Accumulate::Or}, {"count", Accumulate::Count}},
                              "OR per polarity, or an exact counter (bipolar: count)")
          .default_from([](O& o) { o.accumulate = o.encoding == Encoding::Bipolar ? Accumulate::Count : Accumulate::Or; })
          .check([](const O& o) {
            return o.encoding == Encoding::Bipolar && o.accumulate == Accumulate::Or
                       ? std::string("bipolar streams are accumulated by an up/down counter: use count")
                       : std::string();
          })
          .choice<LfsrKind>("lfsr", [](O& o) -> LfsrKind& { return o.lfsr; },
                            {{"zero_inserted", LfsrKind::ZeroInserted}, {"xor", LfsrKind::Xor}, {"xnor", LfsrKind::Xnor}},
                            "LFSR form")
          .number("flip_rate", [](O& o) -> double& { return o.flip_rate; }, 0.0, 1.0,
                  "probability that a stream bit is flipped")
          .choice<ProxyKind>("proxy", [](O& o) -> ProxyKind& { return o.proxy; },
                             {{"sc_act", ProxyKind::ScAct}, {"linear", ProxyKind::Linear}},
                             "gradient surrogate (count: linear)")
          .default_from([](O& o) { o.proxy = o.accumulate == Accumulate::Count ? ProxyKind::Linear : ProxyKind::ScAct; })
          .check([](const O& o) {
            return o.accumulate == Accumulate::Count && o.proxy == ProxyKind::ScAct
                       ? std::string("sc_act models OR saturation; with accumulate: count the proxy is linear")
                       : std::string();
          })
          .choice<bool>("proxy_operands", [](O& o) -> bool& { return o.proxy_quantized; },
                        {{"quantized", true}, {"float", false}}, "operands the proxy sees")
          .nested("phase", phase)
          .custom(
              "input",
              [](config::Section& s, O& o) {
                config::Section in = s.section("input");
                o.input = parse_operand(in, operand_default(o, Signedness::Auto), true);
              },
              [](const O& o, YAML::Node& n) { n["input"] = dump_operand(o.input, true); },
              {OptionRow{"input.scale", "number | max_abs | pow2 | calibrate | calibrate_pow2", "", "1/L",
                         "step per activation level"},
               OptionRow{"input.signed", "auto | true | false", "", "auto", "split negative inputs"}})
          .custom(
              "weight",
              [](config::Section& s, O& o) {
                config::Section wt = s.section("weight");
                o.weight = parse_operand(wt, operand_default(o, Signedness::Signed), false);
              },
              [](const O& o, YAML::Node& n) { n["weight"] = dump_operand(o.weight, false); },
              {OptionRow{"weight.scale", "number | max_abs | pow2 | calibrate | calibrate_pow2", "", "1/L",
                         "step per weight level"}});
  return opts;
}

void ScOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<LayerHardware> ScOptions::make(const LayerInfo& layer) const {
  return std::make_shared<ScHardware>(*this, layer);
}

std::shared_ptr<const HardwareOptions> ScOptions::parse(config::Section& s) {
  auto o = std::make_shared<ScOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::hw::sc
