// The point-wise injection op of the polynomial error model, y = u + b(ũ) + max(σ(ũ), 0)·ε,
// ũ = clamp(u, lo, hi), ε ~ N(0, 1): element i of u takes number i of the caller's noise stream
// (core/random.h: keyed by run seed, layer and draw, counted by step), so the noise depends on
// nothing else — not on threads, other layers or evaluation order.
//
// poly_inject is one custom autograd function with a fused element loop: it saves only u (and
// the coefficients) and recomputes b′(ũ) in backward — the gradient checkpointing of Li et al.
// §3.4 for the added point-wise nodes. poly_inject_composed is the same computation as ordinary
// autograd ops (which keep their intermediates); both give identical values and gradients.
#pragma once
#include <torch/types.h>

#include "axtrain/core/random.h"

namespace ax::inject {

struct PolyInjectArgs {
  torch::Tensor mean_coef, std_coef;  // float64, lowest order first
  double lo = 0.0, hi = 0.0;          // calibrated range of u
  bool corrected_gradient = true;     // gradient 1 + b′(u)·1{lo ≤ u ≤ hi}, else 1
  rng::Stream noise;                  // ε of element i = number i of this stream
};

torch::Tensor poly_inject(const torch::Tensor& u, const PolyInjectArgs& a);
torch::Tensor poly_inject_composed(const torch::Tensor& u, const PolyInjectArgs& a);

// The table form of type 1 (error_model.h, fit: table): y = u + mean[j] + std[j]·ε, j = the
// uniform bin of u (clamped to the end bins); gradient 1 + slope[h] (corrected) or 1, h = the half
// bin of u. Fused like poly_inject (saves only u); table_inject_composed is the same as ordinary ops.
struct TableInjectArgs {
  torch::Tensor mean, std;  // float64 [B]
  torch::Tensor slope;      // float64 [2B]
  double lo = 0.0, width = 1.0;
  bool corrected_gradient = true;
  rng::Stream noise;
};

torch::Tensor table_inject(const torch::Tensor& u, const TableInjectArgs& a);
torch::Tensor table_inject_composed(const torch::Tensor& u, const TableInjectArgs& a);

// y = u + mean + sd·ε with gradient 1 (the type-2 error model), one fused element loop.
torch::Tensor gaussian_inject(const torch::Tensor& u, double mean, double sd, const rng::Stream& noise);

// ε of the stream in the shape, dtype and device of `like` (computed on the CPU).
torch::Tensor standard_normal(const torch::Tensor& like, const rng::Stream& noise);

}  // namespace ax::inject
