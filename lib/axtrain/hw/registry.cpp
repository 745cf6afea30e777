// One line per hardware model: its parser and its keys. Adding a model = one folder under hw/ + one
// line here.
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/approx_mul/approx_mul.h"
#include "axtrain/hw/fixed_point/fixed_point.h"
#include "axtrain/hw/ideal/ideal.h"
#include "axtrain/hw/ntv/ntv.h"
#include "axtrain/hw/sc/options.h"

namespace ax::hw {

void register_all() {
  auto& r = hardware_registry();
  if (!r.names().empty()) return;
  r.add("ideal", "exact float arithmetic (reference)", IdealOptions::parse, {});
  r.add("fixed_point", "n-bit fake-quantised inputs and weights, float accumulation (INT8 baseline)",
        FixedPointOptions::parse, FixedPointOptions::options().rows());
  r.add("sc", "stochastic computing: LFSR streams, AND multiply, OR/counter accumulate (Li et al.)",
        sc::ScOptions::parse, sc::ScOptions::options().rows());
  r.add("approx_mul",
        "sign-magnitude products on an approximate multiplier (EvoApprox table, DRUM, UDM), integer accumulation",
        ApproxMulOptions::parse, ApproxMulOptions::options().rows());
  r.add("analog", "compute-in-memory arrays, partial sums read by low-resolution ADCs (Li et al.)",
        AnalogOptions::parse, AnalogOptions::options().rows());
  r.add("ntv", "ideal arithmetic with near-threshold SRAM weight storage (random bit flips, AxTrain)",
        NtvOptions::parse, NtvStorageOptions::options().rows());
  auto& st = storage_registry();
  st.add("ntv", "near-threshold SRAM weights: B-bit dynamic fixed point, each bit flips with flip_rate",
         NtvStorageOptions::parse, NtvStorageOptions::options().rows());
}

}  // namespace ax::hw
