// UDM: Kulkarni, Gupta, Ercegovac, "Trading accuracy for power with an underdesigned multiplier
// architecture", VLSI Design 2011 (PAPERS.md §4 li2022s-kmap).
//
// Building block: the 2×2 multiplier whose K-map differs from the exact one only at 3×3 = 7
// (binary 111, 3 output bits instead of 4). Composition (Kulkarni's construction, accurate
// adders): for n = 2^m bits split each operand into halves of h = n/2 bits, a = aH·2^h + aL,
//   U_n(a, b) = U_h(aH, bH)·2^(2h) + (U_h(aH, bL) + U_h(aL, bH))·2^h + U_h(aL, bL),
// recursively down to U_2. So an n-bit UDM is exact except where some 2-bit digit pair is (3, 3);
// it never over-estimates. Symmetric in the ports. n ∈ {2, 4, 8, 16}.
#pragma once
#include "axtrain/hw/approx_mul/multiplier.h"

namespace ax::hw::amul {

class UdmMultiplier final : public Multiplier {
 public:
  explicit UdmMultiplier(int bits);
  std::string kind() const override { return "udm"; }
  std::uint64_t multiply(std::uint32_t a, std::uint32_t b) const override;
  // The 2×2 block: a·b except 3·3 = 7.
  static std::uint32_t block2(std::uint32_t a, std::uint32_t b) { return a == 3 && b == 3 ? 7 : a * b; }
};

}  // namespace ax::hw::amul
