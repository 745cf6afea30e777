#include "axtrain/hw/ntv/flips.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

namespace ax::hw::ntv {

namespace {

std::uint32_t word_mask(int bits) {
  return bits >= 32 ? 0xffffffffu : (std::uint32_t{1} << bits) - 1u;
}

// Flips bits of words[0..count) with probability p; returns the number flipped.
std::int64_t flip_block(std::uint32_t* words, std::int64_t count, int bits, double p,
                        const rng::Stream& draws, std::uint64_t block) {
  const std::int64_t nb = count * bits;
  if (p >= 1.0) {
    const std::uint32_t m = word_mask(bits);
    for (std::int64_t i = 0; i < count; ++i) words[i] ^= m;
    return nb;
  }
  rng::Sequence seq(draws, block << 32);  // block b: Philox blocks b·2³² on
  std::int64_t flips = 0;
  if (p <= kDenseAbove) {
    const double log_q = std::log1p(-p);  // < 0
    auto gap = [&]() -> std::int64_t {
      const double u = seq.unit_open_below();  // (0, 1], 53 bits
      const double g = std::log(u) / log_q;
      return g >= static_cast<double>(nb) ? nb : static_cast<std::int64_t>(g);
    };
    for (std::int64_t pos = gap(); pos < nb; pos += 1 + gap()) {
      words[pos / bits] ^= std::uint32_t{1} << (pos % bits);
      ++flips;
    }
    return flips;
  }
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(p, 32));  // p ≤ 1: ≤ 2³²
  for (std::int64_t i = 0; i < count; ++i) {
    std::uint32_t m = 0;
    for (int j = 0; j < bits; ++j) m |= static_cast<std::uint32_t>(seq.u32() < threshold) << j;
    words[i] ^= m;
    flips += __builtin_popcount(m);
  }
  return flips;
}

}  // namespace

int fraction_bits(double max_abs, int word_bits) {
  int e = 0;
  if (max_abs > 0 && std::isfinite(max_abs)) std::frexp(max_abs, &e);  // max = m·2^e, m ∈ [0.5, 1)
  return std::clamp(word_bits - 1 - e, -1000, 1000);
}

std::uint32_t encode(double w, int word_bits, int frac_bits) {
  const double hi = std::ldexp(1.0, word_bits - 1);
  const double q = std::clamp(std::nearbyint(std::ldexp(w, frac_bits)), -hi, hi - 1.0);
  return static_cast<std::uint32_t>(static_cast<std::int64_t>(q)) & word_mask(word_bits);
}

double decode(std::uint32_t word, int word_bits, int frac_bits) {
  std::int64_t v = word & word_mask(word_bits);
  if ((v >> (word_bits - 1)) & 1) v -= std::int64_t{1} << word_bits;
  return std::ldexp(static_cast<double>(v), -frac_bits);
}

ReadResult read(const torch::Tensor& w_in, int bits, int frac, double p, const rng::Stream& draws) {
  torch::Tensor w = w_in.contiguous();
  torch::Tensor out = torch::empty_like(w);
  const std::int64_t n = w.numel(), blocks = (n + kBlockWords - 1) / kBlockWords;
  std::vector<std::int64_t> flips(static_cast<std::size_t>(blocks), 0);
  const double scale = std::ldexp(1.0, frac), inv = std::ldexp(1.0, -frac);
  const double hi = std::ldexp(1.0, bits - 1);
  const std::uint32_t mask = word_mask(bits);
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "ntv_read", [&] {
    const scalar_t* src = w.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
      std::vector<std::uint32_t> words(static_cast<std::size_t>(kBlockWords));
      for (std::int64_t b = b0; b < b1; ++b) {
        const std::int64_t i0 = b * kBlockWords, cnt = std::min(kBlockWords, n - i0);
        for (std::int64_t i = 0; i < cnt; ++i) {
          const double q = std::clamp(std::nearbyint(static_cast<double>(src[i0 + i]) * scale), -hi, hi - 1.0);
          words[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(static_cast<std::int64_t>(q)) & mask;
        }
        if (p > 0)
          flips[static_cast<std::size_t>(b)] =
              flip_block(words.data(), cnt, bits, p, draws, static_cast<std::uint64_t>(b));
        for (std::int64_t i = 0; i < cnt; ++i) {
          std::int64_t v = words[static_cast<std::size_t>(i)];
          if ((v >> (bits - 1)) & 1) v -= std::int64_t{1} << bits;
          dst[i0 + i] = static_cast<scalar_t>(static_cast<double>(v) * inv);
        }
      }
    });
  });
  ReadResult r;
  r.value = out;
  for (std::int64_t f : flips) r.flips += f;
  return r;
}

}  // namespace ax::hw::ntv
