#include "axtrain/hw/ntv/flips.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

namespace ax::hw::ntv {

namespace {

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Xoshiro {
 public:
  Xoshiro(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t s = seed ^ (stream * 0xd1342543de82ef95ull);
    for (auto& v : s_) v = splitmix64(s);
  }
  std::uint64_t operator()() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

std::uint32_t word_mask(int bits) {
  return bits >= 32 ? 0xffffffffu : (std::uint32_t{1} << bits) - 1u;
}

// Flips bits of words[0..count) with probability p; returns the number flipped.
std::int64_t flip_block(std::uint32_t* words, std::int64_t count, int bits, double p,
                        std::uint64_t seed, std::uint64_t block) {
  const std::int64_t nb = count * bits;
  if (p >= 1.0) {
    const std::uint32_t m = word_mask(bits);
    for (std::int64_t i = 0; i < count; ++i) words[i] ^= m;
    return nb;
  }
  Xoshiro rng(seed, block);
  std::int64_t flips = 0;
  if (p <= kDenseAbove) {
    const double log_q = std::log1p(-p);  // < 0
    auto gap = [&]() -> std::int64_t {
      const double u = static_cast<double>((rng() >> 11) + 1) * 0x1p-53;  // (0, 1]
      const double g = std::log(u) / log_q;
      return g >= static_cast<double>(nb) ? nb : static_cast<std::int64_t>(g);
    };
    for (std::int64_t pos = gap(); pos < nb; pos += 1 + gap()) {
      words[pos / bits] ^= std::uint32_t{1} << (pos % bits);
      ++flips;
    }
    return flips;
  }
  const std::uint64_t threshold = static_cast<std::uint64_t>(std::ldexp(p, 64));
  for (std::int64_t i = 0; i < count; ++i) {
    std::uint32_t m = 0;
    for (int j = 0; j < bits; ++j) m |= static_cast<std::uint32_t>(rng() < threshold) << j;
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

ReadResult read(const torch::Tensor& w_in, int bits, int frac, double p, std::uint64_t seed) {
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
              flip_block(words.data(), cnt, bits, p, seed, static_cast<std::uint64_t>(b));
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
