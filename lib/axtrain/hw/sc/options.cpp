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

YAML::Node dump_operand(const QuantSpec& q, bool with_signed) {
  YAML::Node full, out;
  q.dump(full);
  out["scale"] = full["scale"];
  if (with_signed) out["signed"] = full["signed"];
  if (full["calibration_batches"]) out["calibration_batches"] = full["calibration_batches"];
  return out;
}
}  // namespace

void ScOptions::dump(YAML::Node& out) const {
  out["stream_length"] = stream_length;
  out["encoding"] = encoding == Encoding::Unipolar ? "unipolar" : "bipolar";
  out["accumulate"] = accumulate == Accumulate::Or ? "or" : "count";
  out["lfsr"] = lfsr == LfsrKind::ZeroInserted ? "zero_inserted" : lfsr == LfsrKind::Xor ? "xor" : "xnor";
  out["flip_rate"] = flip_rate;
  out["proxy"] = proxy == ProxyKind::ScAct ? "sc_act" : "linear";
  out["proxy_operands"] = proxy_quantized ? "quantized" : "float";
  YAML::Node ph;
  ph["mode"] = phase_mode == PhaseMode::Scatter ? "scatter"
               : phase_mode == PhaseMode::State ? "state"
               : phase_mode == PhaseMode::Index ? "index"
                                                : "random";
  ph["input"] = input_offset;
  ph["weight_pos"] = weight_pos_offset;
  ph["weight_neg"] = weight_neg_offset;
  out["phase"] = ph;
  out["input"] = dump_operand(input, true);
  out["weight"] = dump_operand(weight, false);
}

std::shared_ptr<LayerHardware> ScOptions::make(const LayerInfo& layer) const {
  return std::make_shared<ScHardware>(*this, layer);
}

std::shared_ptr<const HardwareOptions> ScOptions::parse(config::Section& s) {
  auto o = std::make_shared<ScOptions>();
  std::int64_t len = s.get_int("stream_length", 32, 32, 1024);
  if (!valid_stream_length(len))
    s.fail("stream_length", "must be a power of two from 32 to 1024 (the LFSR has log2(L) bits)");
  o->stream_length = static_cast<int>(len);
  o->encoding = s.get_choice<Encoding>("encoding", Encoding::Unipolar,
                                       {{"unipolar", Encoding::Unipolar}, {"bipolar", Encoding::Bipolar}});
  const bool bipolar = o->encoding == Encoding::Bipolar;
  o->accumulate = s.get_choice<Accumulate>("accumulate", bipolar ? Accumulate::Count : Accumulate::Or,
                                           {{"or", Accumulate::Or}, {"count", Accumulate::Count}});
  if (bipolar && o->accumulate == Accumulate::Or)
    s.fail("accumulate", "bipolar streams are accumulated by an up/down counter: use count");
  o->lfsr = s.get_choice<LfsrKind>(
      "lfsr", LfsrKind::ZeroInserted,
      {{"zero_inserted", LfsrKind::ZeroInserted}, {"xor", LfsrKind::Xor}, {"xnor", LfsrKind::Xnor}});
  o->flip_rate = s.get_double("flip_rate", 0.0, 0.0, 1.0);
  const bool counted = o->accumulate == Accumulate::Count;
  o->proxy = s.get_choice<ProxyKind>("proxy", counted ? ProxyKind::Linear : ProxyKind::ScAct,
                                     {{"sc_act", ProxyKind::ScAct}, {"linear", ProxyKind::Linear}});
  if (counted && o->proxy == ProxyKind::ScAct)
    s.fail("proxy", "sc_act models OR saturation; with accumulate: count the proxy is linear");
  o->proxy_quantized = s.get_choice<bool>("proxy_operands", true, {{"quantized", true}, {"float", false}});

  config::Section ph = s.section("phase");
  o->phase_mode = ph.get_choice<PhaseMode>("mode", PhaseMode::Scatter,
                                           {{"scatter", PhaseMode::Scatter},
                                            {"state", PhaseMode::State},
                                            {"index", PhaseMode::Index},
                                            {"random", PhaseMode::Random}});
  const std::int64_t big = std::int64_t{1} << 40;
  o->input_offset = ph.get_int("input", 0, 0, big);
  o->weight_pos_offset = ph.get_int("weight_pos", 67, 0, big);
  o->weight_neg_offset = ph.get_int("weight_neg", 37, 0, big);
  ph.finish();

  const double step = 1.0 / static_cast<double>(len);
  QuantSpec in_def{5, ScalePolicy::Fixed, step, Signedness::Auto};
  QuantSpec wt_def{5, ScalePolicy::Fixed, step, Signedness::Signed};
  config::Section in = s.section("input");
  o->input = parse_operand(in, in_def, true);
  config::Section wt = s.section("weight");
  o->weight = parse_operand(wt, wt_def, false);
  return o;
}

}  // namespace ax::hw::sc
