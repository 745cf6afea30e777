// Integer kernel of the `analog` model: partial sums of `array_size` consecutive products, per
// array a unipolar ADC on each polarity, digital accumulation of the codes.
//
// Operands are integer codes (int32 tensors): inputs a (|a| ≤ 65535; a negative code is the
// magnitude of a negative input, which the split-unipolar array routes to the opposite lines:
// P⁺ += |a|·W⁻, P⁻ += |a|·W⁺), weights w (signed). Convolutions are unrolled per sample and group
// (im2col, element order (c, kh, kw) = the weight's flattening), weights are packed as [k][o] for
// each polarity so the inner loop runs over output channels; partial sums are int32, the code sums
// int64. Rows are processed in parallel (at::parallel_for over samples); results do not depend
// on the thread count.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include <torch/types.h>

#include "axtrain/hw/mac_op.h"

namespace ax::hw::mac {
class WeightCache;
}

namespace ax::hw::analog {

// The ADC of every array line of a layer.
struct Adc {
  std::int64_t levels = 0;  // top code 2^bits − 1; 0 = ideal read-out (code = P)
  double gain = 1.0;        // code(P) = min(round_half_even(P · gain), levels)
  double full_scale = std::numeric_limits<double>::infinity();  // P > full_scale counts as saturated
};

struct RunResult {
  torch::Tensor acc;  // int64 Σ_arrays (code⁺ − code⁻): [N, O] (linear) or [N, O, H', W']
  std::int64_t partial_sums = 0;  // P⁺ and P⁻ both counted
  std::int64_t saturated = 0;     // of those, P > full_scale
};

// The largest partial sum the operands' ranges allow: array_size · max|a| · max|w| (as a double:
// it may exceed 2^63 for wide operands).
double max_partial_sum(std::int64_t array_size, std::int64_t max_input, std::int64_t max_weight);

// Runs the layer. xc: int32 [N, in] or [N, C, H, W]; wc: int32 [O, in] or [O, C/g, kh, kw].
// Requires max_partial_sum(...) < 2^31 (checked by the caller). max_x, max_w: bounds on |xc| and
// |wc| (the quantisers' ranges) that pick the fp32 tile path; −1: taken from the tensors.
// `cache` (optional, the layer's) keeps the packed weights of the tile path between calls.
RunResult run(const torch::Tensor& xc, const torch::Tensor& wc, const MacOp& op,
              std::int64_t array_size, const Adc& adc, std::int64_t max_x = -1, std::int64_t max_w = -1,
              mac::WeightCache* cache = nullptr);

// Histogram of every partial sum P⁺ and P⁻ of the layer: hist[P / width] += 1. hist must have
// at least max_P / width + 1 entries; counts are added to what it holds.
void histogram(const torch::Tensor& xc, const torch::Tensor& wc, const MacOp& op,
               std::int64_t array_size, std::int64_t width, std::vector<std::int64_t>& hist);

// Number of arrays (partial sums per polarity) of one output element: ceil(fan_in / array_size).
std::int64_t arrays_per_output(const torch::Tensor& wc, std::int64_t array_size);

}  // namespace ax::hw::analog
