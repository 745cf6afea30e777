#include "axtrain/hw/approx_mul/drum.h"

#include <algorithm>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::hw::amul {

DrumMultiplier::DrumMultiplier(int bits, int k) : Multiplier(bits), k_(k) {
  if (k < 1 || k > 24) throw ConfigError(fmt::format("drum: k = {} is outside 1..24", k));
}

void DrumMultiplier::decompose(std::uint32_t v, std::uint32_t* mantissa, int* shift) const {
  if (v >> k_ == 0) {  // v < 2^k: exact (includes 0)
    *mantissa = v;
    *shift = 0;
    return;
  }
  int t = 31 - __builtin_clz(v);  // leading-one position
  int s = t - k_ + 1;
  *mantissa = (v >> s) | 1u;
  *shift = s;
}

std::uint32_t DrumMultiplier::max_mantissa() const {
  return static_cast<std::uint32_t>(std::min(max_operand(), (std::uint32_t{1} << std::min(k_, 31)) - 1));
}

std::uint64_t DrumMultiplier::multiply(std::uint32_t a, std::uint32_t b) const {
  std::uint32_t ma, mb;
  int sa, sb;
  decompose(a, &ma, &sa);
  decompose(b, &mb, &sb);
  return (std::uint64_t{ma} * mb) << (sa + sb);
}

}  // namespace ax::hw::amul
