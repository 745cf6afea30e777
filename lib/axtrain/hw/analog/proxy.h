// The Analog_act proxies of the `analog` model (PAPERS.md §7.5, G-21). The summed one is ordinary
// autograd (split convolutions with stacked weights, then a clamp per line: the saved tensors are
// the clamps' inputs, as a fused point-wise op would keep). The per-array one is a custom autograd
// function that saves only its inputs and recomputes the partial sums in backward, slice by slice
// (their [arrays × outputs] intermediates would not fit in memory otherwise).
//
// Both take the fake-quantised operands (xq, wq, in the inputs' units) and a clamp level in the
// same product units (clamp · s_a · s_w for a clamp given in integer units). Split-unipolar:
// W⁺ = w·1{w ≥ 0}, W⁻ = −w·1{w < 0} (a zero weight belongs to the positive line so it keeps a
// gradient); negative inputs feed the opposite lines.
#pragma once
#include <cstdint>

#include <torch/types.h>

#include "axtrain/hw/mac_op.h"

namespace ax::hw::analog {

// min(x_pos, T) − min(x_neg, T) on the layer's summed split outputs x_pos, x_neg (HardTanh with
// range T on non-negative values): gradient 1{x_pos ≤ T} and 1{x_neg ≤ T} on the two lines.
torch::Tensor summed_proxy(const torch::Tensor& xq, const torch::Tensor& wq, double clamp,
                           const MacOp& op);

// Σ_arrays [min(P⁺, C) − min(P⁻, C)] with the partial sums P± of `array_size` consecutive
// elements (order (c, kh, kw)): the per-partial-sum saturation mask 1{P± ≤ C} in backward.
// value_needed false (the call is only a gradient path whose value is replaced, as in an
// exact-mode step's p + (e − p.detach())): the forward returns zeros of the output's shape instead
// of computing the partial sums; the backward is the same.
torch::Tensor per_array_proxy(const torch::Tensor& xq, const torch::Tensor& wq, double clamp,
                              const MacOp& op, std::int64_t array_size, bool value_needed = true);

}  // namespace ax::hw::analog
