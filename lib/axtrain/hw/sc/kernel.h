// The packed stochastic-computing convolution (linear = 1×1 convolution on a 1×1 image).
//
// For every output position p = (n, oh, ow), output channel o and stream slice s:
//   Or:    acc⁺ = OR_j (a_j AND w⁺_jo), acc⁻ likewise;  out += popcount(acc⁺) − popcount(acc⁻)
//   Count: out += Σ_j popcount(a_j AND w⁺_jo) − popcount(a_j AND w⁻_jo)   (exact parallel counter)
//   Xnor:  out += Σ_j (2 · popcount(NOT(a_j XOR w_jo)) − W)               (bipolar up/down count)
// over the products j = (c, ky, kx) whose input pixel lies inside the image: products that fall
// on the zero padding are not computed (for unipolar streams they would be all-zero anyway; for
// bipolar streams a zero value is not an all-zero stream, and the hardware has no such product).
// Unipolar activation words that are 0 (level 0, e.g. after ReLU) are skipped: they contribute
// nothing to an OR or a count.
//
// Layouts (slices S = words per stream, W = bits per word):
//   acts  [S][N][C][H][W]                       one word per activation element and slice
//   wrows [groups][S][Cg·k·k][lanes·Og]         per product j one row of output-channel words;
//                                               lanes = 2 (W⁺ words of the Og outputs, then W⁻)
//                                               or 1 (bipolar)
//   out   [N][O][Ho][Wo] int32                  summed over slices
// Or (the default) runs in register tiles: a block of output positions has its activation words
// unrolled once per slice (mac::unroll; the zero padding becomes 0 words, which an OR ignores),
// then each tile of 4 positions × one vector of row words keeps its OR accumulators in registers
// across all products. Count and Xnor walk one position at a time with the inner loop over the
// row (Xnor must not compute products on the padding). The functions are compiled for Ice Lake
// (AVX-512 with VPOPCNTDQ), x86-64-v4 (AVX-512), x86-64-v3 (AVX2, POPCNT) and baseline x86-64
// and picked at run time (target_clones).
#pragma once
#include <cstdint>

#include "axtrain/hw/mac/geometry.h"

namespace ax::hw::sc {

enum class Accumulate { Or, Count, Xnor };

// The layer's geometry (hw/mac/geometry.h). With split unipolar inputs C and the per-group
// products are doubled: the x⁺ channels of a group, then its x⁻ channels.
using ConvGeometry = mac::Geometry;

// Word-operation counters of one call (for throughput reports).
struct KernelStats {
  std::int64_t rows = 0;      // (position, product, slice) triples whose word was processed
  std::int64_t skipped = 0;   // ... skipped because the activation word was 0
};

KernelStats sc_conv(const ConvGeometry& g, int slices, Accumulate acc, const std::uint32_t* acts,
                    const std::uint32_t* wrows, std::int32_t* out);
KernelStats sc_conv(const ConvGeometry& g, int slices, Accumulate acc, const std::uint64_t* acts,
                    const std::uint64_t* wrows, std::int32_t* out);

}  // namespace ax::hw::sc
