#include "axtrain/hw/fixed_point/fixed_point.h"

#include "axtrain/config/section.h"

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

void FixedPointOptions::dump(YAML::Node& out) const {
  YAML::Node in, wt;
  input.dump(in);
  weight.dump(wt);
  out["input"] = in;
  out["weight"] = wt;
}

std::shared_ptr<LayerHardware> FixedPointOptions::make(const LayerInfo&) const {
  return std::make_shared<FixedPointHardware>(*this);
}

std::shared_ptr<const HardwareOptions> FixedPointOptions::parse(config::Section& s) {
  auto o = std::make_shared<FixedPointOptions>();
  config::Section in = s.section("input");
  o->input = QuantSpec::parse(in, o->input, 24, /*activation=*/true);
  in.finish();
  config::Section wt = s.section("weight");
  o->weight = QuantSpec::parse(wt, o->weight);
  wt.finish();
  return o;
}

}  // namespace ax::hw
