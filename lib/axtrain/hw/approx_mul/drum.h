// DRUM(k): Dynamic Range Unbiased Multiplier (Hashemi, Bahar, Reda, ICCAD 2015; PAPERS.md §7.4).
//
// Per operand v (n-bit magnitude): v = 0 → product 0; t = ⌊log2 v⌋; if t ≤ k−1 the operand is
// exact (mantissa v, shift 0); else shift s = t−k+1 and mantissa m = (v >> s) | 1 — keep the k
// bits from the leading one and force the lowest kept bit to 1 (unbiased truncation). Product =
// (m_a · m_b) << (s_a + s_b): a k×k exact multiplier plus a barrel shifter. Symmetric in the
// ports. Relative error per operand < 2^(1−k); product < (1 + 2^(1−k))² − 1. k ≥ n is exact.
// AxTrain's K1..K4 = k 4..7 on 16-bit operands (§10 G-40).
#pragma once
#include "axtrain/hw/approx_mul/multiplier.h"

namespace ax::hw::amul {

class DrumMultiplier final : public Multiplier {
 public:
  DrumMultiplier(int bits, int k);
  int k() const { return k_; }
  std::string kind() const override { return "drum"; }
  std::uint64_t multiply(std::uint32_t a, std::uint32_t b) const override;
  bool has_shift_form() const override { return true; }
  void decompose(std::uint32_t v, std::uint32_t* mantissa, int* shift) const override;
  std::uint32_t max_mantissa() const override;

 private:
  int k_;
};

}  // namespace ax::hw::amul
