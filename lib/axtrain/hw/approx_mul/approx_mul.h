// `approx_mul`: every product of a Linear/Conv2d layer runs on an unsigned n-bit approximate
// multiplier (EvoApprox table, DRUM(k), UDM or exact) in sign-magnitude form, with exact integer
// accumulation (PAPERS.md §7.3, §7.4, §7.11 point 1). docs/hardware/approx_mul.md has the details.
//
//   product(a, w) = sign(a) XOR sign(w) · M(|a|, |w|),  |a|, |w| ≤ 2^n − 1
//   y = s_x · s_w · Σ product(a_i, w_i)          (int32 accumulator for tables, int64 otherwise)
// with a = clamp(round(x / s_x)), w = clamp(round(W / s_w)) per QuantSpec (quant.h). Hence a 7-bit
// table (mul7u_09Y) gives 8-bit signed operands (magnitudes ≤ 127, −128 unused) and an 8-bit table
// 9-bit sign-magnitude ones. Signed inputs need no split: the sign rides outside the multiplier.
//
// YAML (defaults shown):
//   type: approx_mul
//   multiplier:              # the circuit (multiplier.h): exact | table | drum | udm
//     type: exact            #   table: {path: FILE, format: auto|text|bin}; drum: {bits: 16, k: 8};
//     bits: 7                #   udm: {bits: 8}; exact: {bits: 7}
//   activation_port: a       # a | b: which multiplier port receives the activation (G-15; the
//                            #   weight goes to the other). Matters for asymmetric tables.
//   input:  {bits: n+1, scale: max_abs, signed: true}   # QuantSpec; bits include the sign; with
//   weight: {bits: n+1, scale: max_abs, signed: true}   #   signed: false|auto, bits ≤ n
// Scale policies: max_abs (default), pow2 (AxTrain's dynamic fixed point, §7.11 / G-44) or a
// fixed step (1/128 = the q7 convention of rex-sc, §7.0 / G-05).
// Modes: exact = the integer model above; proxy = the float op on the fake-quantised operands,
// straight-through (§7.2, AM row: no activation proxy needed); ideal = the float op.
#pragma once
#include <memory>

#include "axtrain/config/options.h"
#include "axtrain/hw/approx_mul/engine.h"
#include "axtrain/hw/approx_mul/multiplier.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/quant.h"

namespace ax::hw {

struct ApproxMulOptions final : HardwareOptions {
  amul::MultiplierSpec multiplier;
  amul::Port activation_port = amul::Port::A;
  QuantSpec input{8, ScalePolicy::MaxAbs, 0.0, Signedness::Signed};
  QuantSpec weight{8, ScalePolicy::MaxAbs, 0.0, Signedness::Signed};
  std::shared_ptr<const amul::IntegerMac> engine;  // shared by every layer (holds the signed LUT)

  std::string type() const override { return "approx_mul"; }
  void dump(YAML::Node& out) const override;
  void describe_cost(CostKeys& k) const override;
  std::shared_ptr<LayerHardware> make(const LayerInfo&) const override;
  static const config::Options<ApproxMulOptions>& options();
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
};

}  // namespace ax::hw
