#include "axtrain/hw/ideal/ideal.h"

namespace ax::hw {

namespace {
class IdealHardware final : public LayerHardware {};
}  // namespace

std::shared_ptr<LayerHardware> IdealOptions::make(const LayerInfo&) const {
  return std::make_shared<IdealHardware>();
}

std::shared_ptr<const HardwareOptions> IdealOptions::parse(config::Section&) {
  return std::make_shared<IdealOptions>();
}

}  // namespace ax::hw
