// `sc`: stochastic computing with LFSR-generated bit streams, AND multiplication and OR (or
// counter) accumulation, after Li et al. (tinyML'22, PAPERS.md §3 common setup, §7.0–7.2) and the
// Liu deck (§6 liu-sc-encoding, liu-sc-mlp-bitflip, §7.14). docs/hardware/sc.md has the details.
//
// YAML (every key optional; defaults = the paper's 32-bit split-unipolar setting):
//   type: sc
//   stream_length: 32       # bits per stream L: 32, 64, 128, 256, 512, 1024 (powers of two: the
//                           #   LFSR has log2(L) bits; §7.1.3). 32 = li2022 "32-bit streams".
//   encoding: unipolar      # unipolar: P(1) = v / full scale, weights split into W⁺ and W⁻
//                           #   streams (li2022 "split-unipolar"); bipolar: P(1) = (v / fs + 1) / 2
//                           #   for activations and weights, XNOR multiply, up/down count (§7.14)
//   accumulate: or          # or: OR of all C_in·k·k product streams per polarity (li2022, G-14);
//                           #   count: exact popcount sum of every product stream (parallel
//                           #   counter, APC). Bipolar streams are always counted (count).
//   lfsr: zero_inserted     # zero_inserted (period L, exact single-stream levels, G-11) |
//                           #   xor | xnor (period L − 1; rex-sc's other two forms)
//   flip_rate: 0            # probability in [0, 1] that each activation and weight stream bit
//                           #   is flipped, drawn afresh every step (training step, evaluation
//                           #   batch; liu-sc-mlp-bitflip: 0, 0.01, 0.05, 0.1)
//   proxy: sc_act           # backward surrogate: sc_act = (1 − e^(−x_pos)) − (1 − e^(−x_neg))
//                           #   (li2022 Tab.3) | linear = x_pos − x_neg (Tab.2 "No Activation").
//                           #   Default sc_act for or, linear for count / bipolar (sc_act is
//                           #   rejected there: the counter has no OR saturation to model).
//   proxy_operands: quantized  # quantized: the proxy sees the operands exactly as the streams
//                           #   encode them (fake quantisation, straight-through gradient) |
//                           #   float: unquantised operands (smooth; for gradient checks)
//   phase:                  # LFSR phase (start position in the sequence) of each stream
//                           #   (decorrelation, §7.1.4, G-12); i = flat index of an activation
//                           #   within one sample (so a result does not depend on the batch
//                           #   position), j = flat index of a weight within the weight tensor
//     mode: scatter         # scatter (default; ours): activations start at (i + input) mod P;
//                           #   product r = (c·k + ky)·k + kx of output channel o gets the lag
//                           #   o·Cg·k² + σ(r) + weight_pos|neg behind the input pixel it meets,
//                           #   σ(r) = seq[(r + 5·⌊r / P⌋) mod P] (the LFSR sequence, a
//                           #   permutation): every block of P consecutive products of an output
//                           #   takes every lag once, in a scrambled order |
//                           #   state: rex-sc's Python rule offset → state: the stream of key
//                           #   k = i + input (or j + weight_pos|neg) starts in register state
//                           #   (k mod (2^n − 1)) + 1 (XNOR form: k mod (2^n − 1)) |
//                           #   index: stream starts at (k mod P) — locks all products of a Linear
//                           #   layer with C_in ≡ 0 (mod P), and of a kernel-sized classifier, at
//                           #   one lag (3 for W⁺, 5 for W⁻ at L = 32: +0.25 / −0.22 counts per
//                           #   product, docs/hardware/sc.md) | random: uniform phases drawn
//                           #   afresh every step
//     input: 0              # offsets (rex-sc: 0 activations, 67 W⁺, 37 W⁻); bipolar weights
//     weight_pos: 67        #   use weight_pos
//     weight_neg: 37
//   input:  {scale: 0.03125, signed: auto}
//                           # value ↔ level: level = clamp(round(v / scale), 0, L); default fixed
//                           #   scale 1/L (value 1.0 ↔ level L = all ones, rex-sc's [0, 1]
//                           #   activations after HardTanh(0,1)); max_abs: scale = max|x| / L;
//                           #   pow2; a number. signed: auto (negative inputs present → split
//                           #   x = x⁺ − x⁻: x⁺W⁺ and x⁻W⁻ feed the positive OR, x⁺W⁻ and x⁻W⁺
//                           #   the negative one) | true (always split) | false (clamp at 0).
//   weight: {scale: 0.03125}
//                           # level per polarity = clamp(round(|w| / scale), 0, L − 1) (rex-sc
//                           #   caps weights at L − 1, §7.1.2); max_abs: scale = max|w| / (L − 1).
//                           #   Bipolar: level = clamp(round((v / scale + L) / 2), 0, L) for both
//                           #   operands; max_abs: scale = max|v| / L.
// `bits` is not accepted: the level count is set by stream_length.
#pragma once
#include "axtrain/config/options.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/quant.h"
#include "axtrain/hw/sc/kernel.h"
#include "axtrain/hw/sc/lfsr.h"

namespace ax::hw::sc {

enum class Encoding { Unipolar, Bipolar };
enum class ProxyKind { ScAct, Linear };
// Stream phases (see the YAML comment above): Scatter (default) | State (rex-sc) | Index | Random.
enum class PhaseMode { Scatter, State, Index, Random };
// The scatter mode's shift of σ per block of P products (decorrelates blocks that share
// activation phases; 5 gave the smallest output bias against the independent-stream closed form
// among 1, 3, 5, 9, 17 in docs/hardware/sc.md's measurement).
constexpr std::int64_t kScatterBlockShift = 5;

struct ScOptions final : HardwareOptions {
  std::int64_t stream_length = 32;
  Encoding encoding = Encoding::Unipolar;
  Accumulate accumulate = Accumulate::Or;  // Or | Count (bipolar: Count, run as Xnor)
  LfsrKind lfsr = LfsrKind::ZeroInserted;
  double flip_rate = 0.0;
  ProxyKind proxy = ProxyKind::ScAct;
  bool proxy_quantized = true;
  PhaseMode phase_mode = PhaseMode::Scatter;
  std::int64_t input_offset = 0, weight_pos_offset = 67, weight_neg_offset = 37;
  QuantSpec input{5, ScalePolicy::Fixed, 1.0 / 32, Signedness::Auto};
  QuantSpec weight{5, ScalePolicy::Fixed, 1.0 / 32, Signedness::Signed};

  std::string type() const override { return "sc"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<LayerHardware> make(const LayerInfo& layer) const override;
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
  // The keys, declared once: parse, dump and the docs/hardware/sc.md check come from it.
  static const config::Options<ScOptions>& options();
};

}  // namespace ax::hw::sc
