#include "axtrain/hw/approx_mul/udm.h"

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::hw::amul {

namespace {
std::uint64_t udm(std::uint32_t a, std::uint32_t b, int bits) {
  if (bits == 2) return UdmMultiplier::block2(a, b);
  const int h = bits / 2;
  const std::uint32_t mask = (std::uint32_t{1} << h) - 1;
  std::uint32_t ah = a >> h, al = a & mask, bh = b >> h, bl = b & mask;
  return (udm(ah, bh, h) << (2 * h)) + ((udm(ah, bl, h) + udm(al, bh, h)) << h) + udm(al, bl, h);
}
}  // namespace

UdmMultiplier::UdmMultiplier(int bits) : Multiplier(bits) {
  if (bits != 2 && bits != 4 && bits != 8 && bits != 16)
    throw ConfigError(fmt::format("udm: {} bits is not a power of two in 2..16", bits));
}

std::uint64_t UdmMultiplier::multiply(std::uint32_t a, std::uint32_t b) const {
  return udm(a, b, bits());
}

}  // namespace ax::hw::amul
