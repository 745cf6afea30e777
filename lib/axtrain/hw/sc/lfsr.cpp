#include "axtrain/hw/sc/lfsr.h"

#include <stdexcept>
#include <string>

namespace ax::hw::sc {

namespace {
// Feedback bit: XOR of the tap bits of v.
std::uint32_t taps_xor(int bits, std::uint32_t v) {
  auto b = [v](int i) { return (v >> i) & 1u; };
  switch (bits) {
    case 5: return b(4) ^ b(2);
    case 6: return b(5) ^ b(4);
    case 7: return b(6) ^ b(5);
    case 8: return b(7) ^ b(5) ^ b(4) ^ b(3);
    case 9: return b(8) ^ b(4);
    case 10: return b(9) ^ b(6);
  }
  throw std::invalid_argument("lfsr: no taps for a " + std::to_string(bits) + "-bit register");
}
}  // namespace

std::uint32_t lfsr_next(LfsrKind kind, int bits, std::uint32_t v) {
  const std::uint32_t mask = (1u << bits) - 1u;
  if (kind == LfsrKind::ZeroInserted) {
    if (v == 1u) return 0u;
    if (v == 0u) return 2u;
  }
  std::uint32_t f = taps_xor(bits, v);
  if (kind == LfsrKind::Xnor) f ^= 1u;
  return ((v << 1) & mask) | f;
}

std::int64_t lfsr_period(LfsrKind kind, int bits) {
  return kind == LfsrKind::ZeroInserted ? (std::int64_t{1} << bits) : (std::int64_t{1} << bits) - 1;
}

std::vector<std::uint32_t> lfsr_sequence(LfsrKind kind, int bits) {
  std::int64_t period = lfsr_period(kind, bits);
  std::vector<std::uint32_t> seq(static_cast<std::size_t>(period));
  std::uint32_t v = kind == LfsrKind::Xnor ? 0u : 1u;
  for (auto& s : seq) {
    s = v;
    v = lfsr_next(kind, bits, v);
  }
  return seq;
}

}  // namespace ax::hw::sc
