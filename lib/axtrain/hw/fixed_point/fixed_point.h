// `fixed_point`: n-bit fake quantisation of inputs and weights (per-tensor scale, straight-through
// gradient), float accumulation. The INT8 baseline the approximate modes start from.
//
// YAML: {type: fixed_point, input: {bits: 8, scale: max_abs, signed: auto},
//        weight: {bits: 8, scale: max_abs}}
#pragma once
#include "axtrain/config/options.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/quant.h"

namespace ax::hw {

struct FixedPointOptions final : HardwareOptions {
  QuantSpec input{8, ScalePolicy::MaxAbs, 0.0, Signedness::Auto};
  QuantSpec weight{8, ScalePolicy::MaxAbs, 0.0, Signedness::Signed};

  std::string type() const override { return "fixed_point"; }
  void dump(YAML::Node& out) const override;
  void describe_cost(CostKeys& k) const override;
  std::shared_ptr<LayerHardware> make(const LayerInfo&) const override;
  static const config::Options<FixedPointOptions>& options();
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
};

}  // namespace ax::hw
