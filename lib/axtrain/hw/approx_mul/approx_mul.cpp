#include "axtrain/hw/approx_mul/approx_mul.h"
#include "axtrain/hw/operand_key.h"

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/hw/approx_mul/proxy.h"
#include "axtrain/hw/mac/geometry.h"
#include "axtrain/hw/mac/weight_cache.h"

namespace ax::hw {

namespace {

// Largest operand magnitude a QuantSpec can produce (choose_quant's range).
std::int64_t max_magnitude(const QuantSpec& q) {
  return q.signedness == Signedness::Signed ? (std::int64_t{1} << (q.bits - 1)) - 1
                                            : (std::int64_t{1} << q.bits) - 1;
}

class ApproxMulHardware final : public LayerHardware {
 public:
  explicit ApproxMulHardware(std::shared_ptr<const ApproxMulOptions> o) : o_(std::move(o)) {
    if (o_->input.calibrates()) calibrate_inputs(o_->input.calibration_batches);
  }

  torch::Tensor proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override {
    return amul::quantized_mac(x, w, op, input_quant(x.detach(), o_->input),
                               choose_quant(w.detach(), o_->weight));
  }

  torch::Tensor exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override {
    IntegerTrace t = trace_impl(x, w, op, false);
    return mac::scale_output(t.exact_int, t.input_scale * t.weight_scale, x.scalar_type(), x.device());
  }

  IntegerTrace trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override {
    return trace_impl(x, w, op, true);
  }

  // Type-1 injection per polarity (PAPERS.md §7.6, G-16: f = identity on the split sums): u± =
  // the exact products of the quantised operands summed by the sign of a·w, r± = the
  // multiplier's products summed the same way; value units (scale 1), `bins` equal-width bins.
  std::optional<inject::Polarities> proxy_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                     const MacOp& op) override {
    QuantParams qx = input_quant(x.detach(), o_->input), qw = choose_quant(w.detach(), o_->weight);
    auto mac = [&](const torch::Tensor& a, const torch::Tensor& b) { return amul::quantized_mac(a, b, op, qx, qw); };
    torch::Tensor xp = torch::clamp_min(x, 0.0), wp = torch::clamp_min(w, 0.0), wn = torch::relu(-w);
    inject::Polarities u;
    u.pos = mac(xp, wp);
    u.neg = mac(xp, wn);
    if (qx.lo < 0 && (x.detach() < 0).any().item<bool>()) {
      torch::Tensor xn = torch::relu(-x);
      u.pos = u.pos + mac(xn, wn);
      u.neg = u.neg + mac(xn, wp);
    }
    return u;
  }

  std::optional<inject::Polarities> exact_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                     const MacOp& op) override {
    torch::NoGradGuard g;
    QuantParams qx = input_quant(x.detach(), o_->input), qw = choose_quant(w.detach(), o_->weight);
    torch::Tensor xc = quantize_codes(x.detach(), qx), wc = quantize_codes(w.detach(), qw);
    auto run = [&](const torch::Tensor& a, const torch::Tensor& b) {
      return o_->engine->run(a, b, op).to(torch::kFloat64);
    };
    torch::Tensor xp = torch::clamp_min(xc, 0), wp = torch::clamp_min(wc, 0), wn = torch::clamp_min(-wc, 0);
    torch::Tensor pos = run(xp, wp), neg = run(xp, wn);
    if ((xc < 0).any().item<bool>()) {
      torch::Tensor xn = torch::clamp_min(-xc, 0);
      pos = pos + run(xn, wn);
      neg = neg + run(xn, wp);
    }
    inject::Polarities r;
    const double s = qx.scale * qw.scale;
    r.pos = (pos * s).to(x.options());
    r.neg = (neg * s).to(x.options());
    return r;
  }

 private:
  IntegerTrace trace_impl(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op, bool int64) {
    torch::NoGradGuard g;
    QuantParams qx = input_quant(x.detach(), o_->input), qw = choose_quant(w.detach(), o_->weight);
    IntegerTrace t;
    t.input_scale = qx.scale;
    t.weight_scale = qw.scale;
    t.input_int = quantize_codes(x.detach(), qx);
    t.weight_int = quantize_codes(w.detach(), qw);
    t.exact_int = o_->engine->run(t.input_int, t.weight_int, op, &cache_);
    if (int64) t.exact_int = t.exact_int.to(torch::kInt64);
    t.exact_int_unit = "sum of signed approximate products sign(a)·sign(w)·M(|a|,|w|)";
    return t;
  }

  std::shared_ptr<const ApproxMulOptions> o_;
  mac::WeightCache cache_;  // this layer's weight-derived kernel data (engine.h)
};

}  // namespace

// drum{bits}_k{k}, udm{bits}, exact{bits}, or a table's file stem (mul7u_09Y); the reference is
// the exact multiplier of the circuit's width.
void ApproxMulOptions::describe_cost(CostKeys& k) const {
  const int bits = multiplier.circuit ? multiplier.circuit->bits() : multiplier.bits;
  if (multiplier.type == "drum") k.multiplier = fmt::format("drum{}_k{}", bits, multiplier.k);
  else if (multiplier.type == "table") {
    std::string stem = multiplier.path.substr(multiplier.path.find_last_of('/') + 1);
    k.multiplier = stem.substr(0, stem.find('.'));
  } else k.multiplier = fmt::format("{}{}", multiplier.type, bits);
  k.reference = fmt::format("exact{}", bits);
  k.weight_bits = weight.bits;
}

void ApproxMulOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<LayerHardware> ApproxMulOptions::make(const LayerInfo&) const {
  return std::make_shared<ApproxMulHardware>(std::make_shared<const ApproxMulOptions>(*this));
}

namespace {
// input and weight: QuantSpecs whose default width is the multiplier's n + 1 (sign-magnitude) and
// whose magnitudes must fit the multiplier's ports.
QuantSpec operand_default(const ApproxMulOptions& o) {
  return QuantSpec{o.multiplier.bits + 1, ScalePolicy::MaxAbs, 0.0, Signedness::Signed};
}

void fits_the_multiplier(config::Section& q, const ApproxMulOptions& o, const QuantSpec& spec) {
  const int n = o.multiplier.bits;
  if (max_magnitude(spec) > static_cast<std::int64_t>(o.multiplier.circuit->max_operand())) {
    std::string where = q.has("bits") ? "bits" : "signed";
    q.fail(where, fmt::format("{}-bit {} operands reach magnitude {}, beyond the {}-bit multiplier's {}: use "
                              "bits ≤ {} with signed: true (sign-magnitude), or bits ≤ {} unsigned",
                              spec.bits, spec.signedness == Signedness::Signed ? "signed" : "unsigned/auto",
                              max_magnitude(spec), n, o.multiplier.circuit->max_operand(), n + 1, n));
  }
}
}  // namespace

const config::Options<ApproxMulOptions>& ApproxMulOptions::options() {
  using O = ApproxMulOptions;
  using config::OptionRow;
  static const auto opts =
      config::Options<O>("hardware (approx_mul)")
          .custom(
              "multiplier",
              [](config::Section& s, O& o) {
                // A `type:` in a higher layer replaces the whole multiplier mapping (no mixing of a
                // table's `path` with a drum's `k` across a preset and its overrides).
                config::Section all = s.section("multiplier");
                std::vector<config::Section::Layer> layers = all.layers();
                for (std::size_t i = layers.size(); i-- > 0;) {
                  if (layers[i].node["type"].IsDefined()) {
                    layers.erase(layers.begin(), layers.begin() + static_cast<std::ptrdiff_t>(i));
                    break;
                  }
                }
                config::Section ms(std::move(layers), all.path());
                o.multiplier = amul::MultiplierSpec::parse(ms);
                ms.finish();
              },
              [](const O& o, YAML::Node& n) {
                YAML::Node m;
                o.multiplier.dump(m);
                n["multiplier"] = m;
              },
              amul::MultiplierSpec::rows("multiplier."))
          .choice<amul::Port>("activation_port", [](O& o) -> amul::Port& { return o.activation_port; },
                              {{"a", amul::Port::A}, {"b", amul::Port::B}},
                              "the multiplier port that receives the activation (the weight takes the other; G-15)")
          .with(operand_key<O>("input", &O::input, 25, /*activation=*/true,
                               {"input", "QuantSpec", "bits 1..n+1", "{bits: n+1, scale: max_abs, signed: true}",
                                "the inputs' quantisation (n = multiplier.bits; bits include the sign)"},
                               fits_the_multiplier, operand_default))
          .with(operand_key<O>("weight", &O::weight, 25, /*activation=*/false,
                               {"weight", "QuantSpec", "bits 1..n+1", "{bits: n+1, scale: max_abs, signed: true}",
                                "the weights' quantisation (per tensor)"},
                               fits_the_multiplier, operand_default));
  return opts;
}

std::shared_ptr<const HardwareOptions> ApproxMulOptions::parse(config::Section& s) {
  auto o = std::make_shared<ApproxMulOptions>();
  options().parse(s, *o);
  o->engine = std::make_shared<amul::IntegerMac>(o->multiplier.circuit, o->activation_port,
                                                 max_magnitude(o->input), max_magnitude(o->weight));
  return o;
}

}  // namespace ax::hw
