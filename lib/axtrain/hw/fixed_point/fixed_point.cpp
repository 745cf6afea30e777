#include "axtrain/hw/fixed_point/fixed_point.h"

#include "axtrain/config/section.h"
#include "axtrain/hw/operand_key.h"

namespace ax::hw {

namespace {
class FixedPointHardware final : public LayerHardware {
 public:
  explicit FixedPointHardware(FixedPointOptions o) : o_(std::move(o)) {
    if (o_.input.calibrates()) calibrate_inputs(o_.input.calibration_batches);
  }

  // Fake quantisation is its own proxy: forward = quantised op, gradient = straight-through.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op,
                        Mode mode) override {
    if (mode == Mode::Ideal) return op.apply(x, w);
    if (mode == Mode::Inject || (mode == Mode::Exact && exact_gradient() != ExactGradient::Proxy))
      return LayerHardware::forward(x, w, op, mode);  // observes x for the input calibration
    observe_input(x, mode);
    return proxy(x, w, op);
  }
  torch::Tensor proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override {
    torch::Tensor xq = fake_quant(x, input_quant(x.detach(), o_.input));
    torch::Tensor wq = fake_quant(w, choose_quant(w.detach(), o_.weight));
    return op.apply(xq, wq);
  }
  torch::Tensor exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override {
    return proxy(x, w, op);
  }

 private:
  FixedPointOptions o_;
};
}  // namespace

// Accurate integer products of the operands' width (the wider of the two).
void FixedPointOptions::describe_cost(CostKeys& k) const {
  k.multiplier = k.reference = "exact" + std::to_string(std::max(input.bits, weight.bits));
  k.weight_bits = weight.bits;
}

const config::Options<FixedPointOptions>& FixedPointOptions::options() {
  using O = FixedPointOptions;
  static const auto opts =
      config::Options<O>("hardware (fixed_point)")
          .with(operand_key<O>("input", &O::input, 24, /*activation=*/true,
                               {"input", "QuantSpec", "bits 1..24", "{bits: 8, scale: max_abs, signed: auto}",
                                "the inputs' quantisation; scale also calibrate | calibrate_pow2"}))
          .with(operand_key<O>("weight", &O::weight, 24, /*activation=*/false,
                               {"weight", "QuantSpec", "bits 1..24", "{bits: 8, scale: max_abs, signed: true}",
                                "the weights' quantisation (per tensor)"}));
  return opts;
}

void FixedPointOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<LayerHardware> FixedPointOptions::make(const LayerInfo&) const {
  return std::make_shared<FixedPointHardware>(*this);
}

std::shared_ptr<const HardwareOptions> FixedPointOptions::parse(config::Section& s) {
  auto o = std::make_shared<FixedPointOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::hw
