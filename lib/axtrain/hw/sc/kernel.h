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
// The inner loop over the row is written so GCC vectorises it; the functions are compiled for
// Ice Lake (AVX-512 with VPOPCNTDQ), x86-64-v4 (AVX-512), x86-64-v3 (AVX2, POPCNT) and baseline x86-64 and picked at run time (target_clones).
#pragma once
#include <cstdint>

namespace ax::hw::sc {

enum class Accumulate { Or, Count, Xnor };

struct ConvGeometry {
  std::int64_t n = 1, c = 1, h = 1, w = 1;  // input
  std::int64_t o = 1, k = 1;                // output channels, square kernel size
  std::int64_t stride = 1, pad = 0, dilation = 1, groups = 1;
  std::int64_t out_h() const { return (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1; }
  std::int64_t out_w() const { return (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1; }
  std::int64_t products() const { return (c / groups) * k * k; }  // j per output
};

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
