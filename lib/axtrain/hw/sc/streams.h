// Packed stochastic bit streams: generation from levels with an LFSR + comparator, and bit flips.
//
// A stream of length L has bit t = 1 iff level > r[(t + phase) mod P] (t = 0 .. L−1), where r is
// one period P of the LFSR sequence (lfsr.h) with a register of log2(L) bits (PAPERS.md §7.1
// point 3). Packing: bit t sits at bit position t mod W of word t / W, W = 32 for L = 32 (one
// uint32 per stream) and W = 64 for L ≥ 64 (L / 64 uint64 words, called slices). Buffers of many
// streams are slice-major: word s of element e is at out[s · n + e].
#pragma once
#include <cstdint>
#include <vector>

#include "axtrain/core/random.h"
#include "axtrain/hw/sc/lfsr.h"

namespace ax::hw::sc {

// Stream lengths: powers of two from 32 to 1024 (the register widths of lfsr.h).
bool valid_stream_length(std::int64_t length);
int register_bits(std::int64_t length);  // log2(length)

class StreamEncoder {
 public:
  StreamEncoder(LfsrKind kind, int length);

  int length() const { return length_; }
  int slices() const { return length_ <= 32 ? 1 : length_ / 64; }  // words per stream
  std::int64_t period() const { return static_cast<std::int64_t>(seq_.size()); }
  const std::vector<std::uint32_t>& sequence() const { return seq_; }

  // Streams of n elements with the given levels (0 .. L) and phases (0 .. period−1), into
  // out[slices() · n]. The uint32 overload needs L = 32, the uint64 one L ≥ 64.
  void encode(std::int64_t n, const std::int32_t* levels, const std::int32_t* phases,
              std::uint32_t* out) const;
  void encode(std::int64_t n, const std::int32_t* levels, const std::int32_t* phases,
              std::uint64_t* out) const;

 private:
  std::uint64_t word(std::int32_t level, std::int32_t phase, int slice) const;

  int length_;
  std::vector<std::uint32_t> seq_;
  // table_[(phase · (L + 1) + level) · slices() + s]: all streams, for L ≤ 256 (2 MiB at 256).
  std::vector<std::uint64_t> table_;
};

// Flips every bit of words[0 .. n) independently with probability p (0 ≤ p ≤ 1), drawn from the
// Philox stream `draws` (core/random.h): chunk c of 4,096 words reads it in order from counter
// block c·2³², gaps between flips geometric (⌊ln U / ln(1 − p)⌋, U ∈ (0, 1] with 53 bits). The
// result depends on (stream, n, p) only, not on threads.
void flip_bits(std::uint32_t* words, std::int64_t n, double p, const rng::Stream& draws);
void flip_bits(std::uint64_t* words, std::int64_t n, double p, const rng::Stream& draws);

}  // namespace ax::hw::sc
