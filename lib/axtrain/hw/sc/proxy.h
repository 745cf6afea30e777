// The differentiable SC surrogates (PAPERS.md §7.2, li2022 Tab.2/Tab.3).
//
//   sc_act:  y = c · [(1 − e^(−X⁺/c)) − (1 − e^(−X⁻/c))],  c = (s_a · L) · (s_w · L)
//            X⁺ = conv(x⁺, W⁺) + conv(x⁻, W⁻), X⁻ = conv(x⁺, W⁻) + conv(x⁻, W⁺)
//            (x⁻ only for split inputs). X/c is the pre-OR sum in probability units (a stream of
//            level q has probability q / L), so the bracket is SC_act of li2022 Tab.3 and c
//            brings it back to input units (c = 1 with the default scales).
//            X± are ordinary autograd convolutions; the point-wise part is a custom autograd
//            Function that saves only X± and recomputes the exponentials in backward (gradient
//            checkpointing of the added nodes, §7.9), or ordinary ops when checkpoint is false.
//   linear:  y = X⁺ − X⁻ = conv(x̂, Ŵ) (the Tab.2 "No Activation" ablation; also the proxy of
//            count accumulation and of bipolar streams, whose counters are linear).
// Operands: with proxy_operands = quantized, x⁺ = fake_quant(max(x, 0)), x⁻ = fake_quant(relu(−x)),
// W± likewise, with the levels of exact() and a straight-through gradient; bipolar operands are
// fake-quantised to (2q − L) · step. With float they are only clamped to the representable range.
#pragma once
#include <torch/types.h>

#include "axtrain/hw/mac_op.h"
#include "axtrain/hw/sc/emulate.h"
#include "axtrain/inject/polarities.h"

namespace ax::hw::sc {

torch::Tensor sc_proxy(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                       const torch::Tensor& w, const MacOp& op, bool checkpoint = true);

// The unipolar proxy per polarity, in stream-probability units: u± = 1 − e^(−X±/c) (sc_act) or
// X±/c (linear), scale c (so scale · (u⁺ − u⁻) = sc_proxy), bins of width 0.1 (PAPERS.md §7.6).
// With checkpoint, 1 − e^(−X/c) is a custom function that saves only X and recomputes the
// exponential in backward.
inject::Polarities sc_proxy_polarities(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                                       const torch::Tensor& w, const MacOp& op, bool checkpoint = true);

}  // namespace ax::hw::sc
