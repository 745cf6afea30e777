// The integer model of one approx_mul layer: Σ over the dot product of sign(a)·sign(w)·M(|a|, |w|)
// for integer operand codes, for Linear and Conv2d (stride, padding, dilation, groups).
//
// Evaluation strategy (chosen once per configuration):
//   expanded (n ≤ 8, int32 sums)  the LUT entries of every weight looked up once per call, rows
//                     then add contiguous table rows (no gathers; kernels.h). Default for tables.
//   lut   (n ≤ 8)     signed LUT S[|a|][w + w_max] = sign(w)·M(|a|,|w|) (ports as configured); per
//                     output row the non-zero inputs of the patch (im2col on the fly, zeros and
//                     padding skipped; zeros kept if M(0, w) ≠ 0 for some w) each add one LUT row gathered by the weight codes of all
//                     output channels. int32 accumulator when fan_in · max M < 2^31, else int64.
//   dense (drum/exact) separable: M(a, w) = t(a)·t(w), t(v) = m(v) << s(v); the float op in fp64
//                     on transformed operands (BLAS), exact while Σ|t(a)·t(w)| < 2^53 (checked per
//                     call; DRUM-16 with fan-in < 2^21). Used for every bit width.
//   shift (drum/exact beyond the fp64 bound)  per operand mantissa m and shift s precomputed once;
//                     product = (m_a·m_w) << (s_a+s_w); int64.
//   pair  (udm, n > 8) the multiplier's function per pair (slow, scalar); int64.
// Rows run in parallel (at::parallel_for). What depends on the weights alone (the expanded table,
// packed weight codes, DRUM's transformed weights) is kept in the caller's mac::WeightCache, so
// evaluation batches and the second use within a step reuse it.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/types.h>

#include "axtrain/hw/approx_mul/multiplier.h"
#include "axtrain/hw/mac_op.h"

namespace ax::hw::mac {
struct Geometry;
class WeightCache;
}

namespace ax::hw::amul {

enum class Port { A, B };

class IntegerMac {
 public:
  // a_max, w_max: the largest operand magnitudes that will occur (≤ circuit.max_operand()).
  IntegerMac(std::shared_ptr<const Multiplier> circuit, Port activation_port, std::int64_t a_max,
             std::int64_t w_max);

  // x_codes: [N, in] (linear) or [N, C, H, W] (conv); w_codes: [O, in] or [O, C/g, kh, kw]; both
  // integral (any dtype, CPU). Returns the accumulator, int32 or int64, in the op's output shape.
  // `cache` (optional, one per layer) keeps the weight-derived data between calls.
  torch::Tensor run(const torch::Tensor& x_codes, const torch::Tensor& w_codes, const MacOp& op,
                    mac::WeightCache* cache = nullptr) const;

  // The product of signed codes a and w exactly as run() forms it (for tests).
  std::int64_t product(std::int64_t a, std::int64_t w) const;
  bool uses_lut() const { return !lut_.empty(); }
  // Largest expanded-LUT table per call (bytes); beyond it the gather kernel runs. Tests lower it
  // to exercise the gather kernel on small layers.
  static double expanded_limit_bytes;
  // Whether run() accumulates in int32 for this fan-in.
  bool int32_accumulator(std::int64_t fan_in) const;

 private:
  // The expanded-LUT path (kernels.h) for n ≤ 8 with int32 accumulators: acc [rows, O] int32, or
  // undefined when its table would be too large.
  torch::Tensor run_expanded(const torch::Tensor& x, const torch::Tensor& w, const mac::Geometry& g,
                             bool negative, mac::WeightCache* cache) const;
  // The dense path (see above); undefined when the fp64 bound does not hold.
  torch::Tensor run_dense(const torch::Tensor& x, const torch::Tensor& w, const mac::Geometry& g,
                          const MacOp& op, mac::WeightCache* cache) const;
  std::shared_ptr<const Multiplier> circuit_;
  Port port_;
  std::int64_t a_max_, w_max_;
  std::vector<std::int32_t> lut_;  // (a_max+1) × (2·w_max+1), empty unless n ≤ 8
  std::int64_t lut_stride_ = 0;
  std::uint64_t max_abs_product_ = 0;
  bool skip_zeros_ = true;  // M(0, w) = 0 for every weight code: zero activations contribute nothing
};

}  // namespace ax::hw::amul
