// Linear feedback shift registers for stochastic-computing stream generation (PAPERS.md §7.1
// point 3, §10 G-11).
//
// Fibonacci form: next(v) = ((v << 1) & (2^n − 1)) | f(v), f = XOR of the tap bits (XOR form) or
// its complement (XNOR form). Taps (bit indices of v) per register width n:
//   5: b4 ⊕ b2  (x⁵ + x³ + 1, rex-sc)          6: b5 ⊕ b4  (rex-sc)      7: b6 ⊕ b5  (rex-sc)
//   8: b7 ⊕ b5 ⊕ b4 ⊕ b3  (rex-sc)              9: b8 ⊕ b4               10: b9 ⊕ b6
// (9 and 10 bits: the maximal-length two-tap polynomials x⁹+x⁵+1 and x¹⁰+x⁷+1; the tests check
// that every width has the maximal period 2^n − 1.)
//   XOR form:  period 2^n − 1 over the states 1 .. 2^n − 1, canonical seed 1.
//   XNOR form: period 2^n − 1 over 0 .. 2^n − 2 (never the all-ones state), canonical seed 0.
//   zero-inserted: the XOR form with 0 inserted after 1 (1 → 0 → 2), period 2^n over every state
//     0 .. 2^n − 1, canonical seed 1; a stream of length 2^n and level q then has exactly q ones.
#pragma once
#include <cstdint>
#include <vector>

namespace ax::hw::sc {

enum class LfsrKind { ZeroInserted, Xor, Xnor };

// Register widths with known taps.
constexpr int kMinLfsrBits = 5;
constexpr int kMaxLfsrBits = 10;

// One step of the register of width `bits` (kMinLfsrBits .. kMaxLfsrBits).
std::uint32_t lfsr_next(LfsrKind kind, int bits, std::uint32_t v);
// One period of states from the canonical seed (XOR: 1, XNOR: 0, zero-inserted: 1).
std::vector<std::uint32_t> lfsr_sequence(LfsrKind kind, int bits);
// The period of the sequence: 2^bits for zero-inserted, 2^bits − 1 otherwise.
std::int64_t lfsr_period(LfsrKind kind, int bits);

}  // namespace ax::hw::sc
