#include "axtrain/hw/sc/streams.h"

#include <cmath>
#include <stdexcept>

#include <ATen/Parallel.h>

namespace ax::hw::sc {

bool valid_stream_length(std::int64_t length) {
  for (int b = kMinLfsrBits; b <= kMaxLfsrBits; ++b)
    if (length == (std::int64_t{1} << b)) return true;
  return false;
}

int register_bits(std::int64_t length) {
  for (int b = kMinLfsrBits; b <= kMaxLfsrBits; ++b)
    if (length == (std::int64_t{1} << b)) return b;
  throw std::invalid_argument("sc: stream length must be a power of two from 32 to 1024");
}

StreamEncoder::StreamEncoder(LfsrKind kind, int length)
    : length_(length), seq_(lfsr_sequence(kind, register_bits(length))) {
  if (length_ > 256) return;
  const std::int64_t p = period(), levels = length_ + 1, s = slices();
  table_.resize(static_cast<std::size_t>(p * levels * s));
  for (std::int64_t ph = 0; ph < p; ++ph)
    for (std::int64_t q = 0; q < levels; ++q)
      for (int w = 0; w < s; ++w)
        table_[static_cast<std::size_t>((ph * levels + q) * s + w)] =
            word(static_cast<std::int32_t>(q), static_cast<std::int32_t>(ph), w);
}

std::uint64_t StreamEncoder::word(std::int32_t level, std::int32_t phase, int slice) const {
  const int bits = length_ <= 32 ? 32 : 64;
  const std::int64_t p = period();
  std::uint64_t out = 0;
  for (int b = 0; b < bits; ++b) {
    std::int64_t t = static_cast<std::int64_t>(slice) * bits + b;
    if (static_cast<std::uint32_t>(level) > seq_[static_cast<std::size_t>((t + phase) % p)])
      out |= std::uint64_t{1} << b;
  }
  return out;
}

namespace {
template <class T>
void encode_impl(const StreamEncoder& enc, const std::vector<std::uint64_t>& table,
                 std::int64_t n, const std::int32_t* levels, const std::int32_t* phases, T* out,
                 const std::function<std::uint64_t(std::int32_t, std::int32_t, int)>& direct) {
  const int s = enc.slices();
  const std::int64_t nl = enc.length() + 1;
  at::parallel_for(0, n, 4096, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      if (table.empty()) {
        for (int w = 0; w < s; ++w) out[w * n + i] = static_cast<T>(direct(levels[i], phases[i], w));
      } else {
        const std::uint64_t* row = table.data() + (phases[i] * nl + levels[i]) * s;
        for (int w = 0; w < s; ++w) out[w * n + i] = static_cast<T>(row[w]);
      }
    }
  });
}
}  // namespace

void StreamEncoder::encode(std::int64_t n, const std::int32_t* levels, const std::int32_t* phases,
                           std::uint32_t* out) const {
  if (length_ != 32) throw std::logic_error("sc: 32-bit words hold only 32-bit streams");
  encode_impl(*this, table_, n, levels, phases, out,
              [this](std::int32_t q, std::int32_t ph, int w) { return word(q, ph, w); });
}

void StreamEncoder::encode(std::int64_t n, const std::int32_t* levels, const std::int32_t* phases,
                           std::uint64_t* out) const {
  if (length_ < 64) throw std::logic_error("sc: 64-bit words need streams of 64 bits or more");
  encode_impl(*this, table_, n, levels, phases, out,
              [this](std::int32_t q, std::int32_t ph, int w) { return word(q, ph, w); });
}

namespace {
// Bernoulli(p) flips by geometric skipping: the gap between flips is floor(log u / log(1 − p)).
template <class T>
void flip_impl(T* words, std::int64_t n, double p, const rng::Stream& draws) {
  if (!(p > 0.0) || n <= 0) return;
  constexpr std::int64_t kWordBits = sizeof(T) * 8;
  constexpr std::int64_t kChunk = 4096;  // words per independently keyed chunk
  const double log_q = std::log1p(-std::min(p, 1.0));
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  at::parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
    for (std::int64_t c = cb; c < ce; ++c) {
      rng::Sequence seq(draws, static_cast<std::uint64_t>(c) << 32);
      T* w = words + c * kChunk;
      const std::int64_t bits = std::min(kChunk, n - c * kChunk) * kWordBits;
      auto gap = [&]() -> std::int64_t {
        const double u = seq.unit_open_below();  // (0, 1], 53 random bits
        double g = std::floor(std::log(u) / log_q);
        return g < static_cast<double>(bits) ? static_cast<std::int64_t>(g) : bits;
      };
      for (std::int64_t pos = gap(); pos < bits; pos += 1 + gap())
        w[pos / kWordBits] ^= T{1} << (pos % kWordBits);
    }
  });
}
}  // namespace

void flip_bits(std::uint32_t* words, std::int64_t n, double p, const rng::Stream& draws) {
  flip_impl(words, n, p, draws);
}
void flip_bits(std::uint64_t* words, std::int64_t n, double p, const rng::Stream& draws) {
  flip_impl(words, n, p, draws);
}

}  // namespace ax::hw::sc
