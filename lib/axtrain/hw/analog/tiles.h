// The fast path of the analog kernel (kernel.h): partial sums in fp32 registers, fused with the
// ADC read-out and the digital accumulation, for layers whose partial sums stay below 2^24.
//
// Each task takes a block of rows (output positions of one group), unrolls their inputs once
// (mac::unroll), and for every tile of R = 4 rows × V = 8 output channels runs array after array:
// the P⁺ and P⁻ of the tile (2·R·V sums) live in registers across the array's ≤ A products, then
// go through the ADC (code = min(round_half_even(P·gain), levels), in fp64 as in the scalar
// model) and are added, as fp64 integers, to the tile's accumulators. fp32 is exact here: every
// product and every partial sum is an integer below 2^24 (checked by the caller), so the order
// of the additions (and FMA contraction) cannot change a bit; the codes' sum stays far below 2^53.
#pragma once
#include <cstdint>

#include <torch/types.h>

#include "axtrain/hw/analog/kernel.h"
#include "axtrain/hw/mac/geometry.h"

namespace ax::hw::mac {
class WeightCache;
}

namespace ax::hw::analog {

// Largest partial sum (array_size · max|a| · max|w|) for which run_tiles is exact.
constexpr double kTileExactBound = 16777216.0;  // 2^24

// The same contract as run() (kernel.h) for int32 codes xc [N, in] / [N, C, H, W] and wc.
// `cache` (optional, the layer's) keeps the packed weights between calls.
RunResult run_tiles(const torch::Tensor& xc, const torch::Tensor& wc, const mac::Geometry& g,
                    std::int64_t array_size, const Adc& adc, mac::WeightCache* cache = nullptr);

}  // namespace ax::hw::analog
