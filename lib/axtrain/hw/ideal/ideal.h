// `ideal`: exact float arithmetic (the reference every other model is compared to).
#pragma once
#include "axtrain/hw/hardware.h"

namespace ax::hw {

struct IdealOptions final : HardwareOptions {
  std::string type() const override { return "ideal"; }
  void dump(YAML::Node&) const override {}
  std::shared_ptr<LayerHardware> make(const LayerInfo&) const override;
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
};

}  // namespace ax::hw
