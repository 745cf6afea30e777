// One line per hardware model. Adding a model = one folder under hw/ + one line here.
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/fixed_point/fixed_point.h"
#include "axtrain/hw/ideal/ideal.h"

namespace ax::hw {

void register_all() {
  auto& r = hardware_registry();
  if (!r.names().empty()) return;
  r.add("ideal", "exact float arithmetic (reference)", IdealOptions::parse);
  r.add("fixed_point", "n-bit fake-quantised inputs and weights, float accumulation (INT8 baseline)",
        FixedPointOptions::parse);
}

}  // namespace ax::hw
