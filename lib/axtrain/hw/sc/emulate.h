// The bit-accurate SC evaluation of one layer: operand levels → LFSR streams (→ bit flips) →
// packed AND/OR (or counter) kernel → integer stream counts.
#pragma once
#include <torch/types.h>

#include "axtrain/hw/mac_op.h"
#include "axtrain/hw/sc/kernel.h"
#include "axtrain/hw/sc/options.h"
#include "axtrain/hw/sc/streams.h"

namespace ax::hw::mac {
class WeightCache;
}

namespace ax::hw::sc {

// How the operands are quantised for one call (shared by exact, trace and proxy).
struct OperandScales {
  double input = 1.0, weight = 1.0;  // value steps: value = level · step (bipolar: (2q − L) · step)
  bool split = false;                // unipolar inputs with negatives: x = x⁺ − x⁻ on two stream sets
  // Output value per count: exact = count · input · weight · L.
  double output(int length) const { return input * weight * static_cast<double>(length); }
};

// Bipolar level clamp(round((t / step + L) / 2), 0, L) as a float tensor of integral values.
torch::Tensor bipolar_levels(const torch::Tensor& t, double step, int length);

// Steps of both operands and whether inputs split. With input scale `calibrate`, `calibrated` (the
// layer's frozen range, when it has one) replaces x's own range and sign test.
OperandScales choose_scales(const ScOptions& o, const torch::Tensor& x, const torch::Tensor& w,
                            const CalibratedRange* calibrated = nullptr);

// Operand levels as int32 tensors in the operand's shape (unipolar: per polarity; bipolar: one).
struct Levels {
  torch::Tensor x_pos, x_neg;  // x_neg undefined unless split; bipolar: x_pos only
  torch::Tensor w_pos, w_neg;  // bipolar: w_pos only
};
Levels operand_levels(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                      const torch::Tensor& w);

struct Emulation {
  torch::Tensor counts;  // int32, the op's output shape: popcount(o⁺) − popcount(o⁻) summed over
                         // slices (or: OR; count: per product; bipolar: Σ 2·popcount − L)
  torch::Tensor counts_neg;  // only with `polarities`: popcount(o⁻); counts then holds popcount(o⁺)
  KernelStats stats;
};

// Runs the streams through the kernel. Randomness (random phases, flips) comes from sub-streams
// of `draws` (the layer's stream at this step, core/random.h). CPU tensors (callers move CUDA inputs). `cache` (optional, the layer's)
// keeps the packed weight streams while the weight levels are unchanged (deterministic phases,
// no flips). `polarities` (unipolar only) runs the kernel once per polarity on the same streams
// (the other lane's weight words zeroed after any flips) and returns the two counts apart.
Emulation emulate(const ScOptions& o, const StreamEncoder& enc, const Levels& lv, const MacOp& op,
                  const torch::Tensor& x_shape_like, const torch::Tensor& w_shape_like,
                  const rng::Stream& draws = {}, mac::WeightCache* cache = nullptr, bool polarities = false);

}  // namespace ax::hw::sc
