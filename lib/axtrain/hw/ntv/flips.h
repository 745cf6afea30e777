// Word-level kernel of the `ntv` storage model: quantise to B-bit two's-complement words, flip
// stored bits with probability p, decode.
//
// Flip patterns are exact i.i.d. Bernoulli(p) over the word array's bits (bit j of word i is bit
// number i·B + j). The array is cut into fixed blocks of kBlockWords words; block b reads the
// caller's Philox stream (core/random.h) in order from counter block b·2³², so the pattern
// depends only on the stream (the layer's key and the step), never on the thread count. For
// p ≤ kDenseAbove the flip positions are found by geometric skipping (gap = floor(ln U /
// ln(1 − p)), U uniform on (0, 1] with 53 bits from two words); above it every bit compares a
// 32-bit word against p·2³².
#pragma once
#include <cstdint>

#include <torch/types.h>

#include "axtrain/core/random.h"

namespace ax::hw::ntv {

constexpr std::int64_t kBlockWords = 4096;
constexpr double kDenseAbove = 0.0625;

// Fraction length for max|w| with B-bit words: f = B − 1 − I, I = floor(log2 max|w|) + 1
// (I = 0 for max|w| = 0).
int fraction_bits(double max_abs, int word_bits);
// The stored word (low B bits of the two's-complement code) of w.
std::uint32_t encode(double w, int word_bits, int frac_bits);
// The value of a stored word (bits above B ignored).
double decode(std::uint32_t word, int word_bits, int frac_bits);

struct ReadResult {
  torch::Tensor value;     // the weights as read, same dtype and shape as the input
  std::int64_t flips = 0;  // bits flipped in this read
};

// Quantises w (CPU, float or double) with frac_bits, flips bits with probability p drawn from
// `draws` (p = 0: no flips), decodes.
ReadResult read(const torch::Tensor& w, int word_bits, int frac_bits, double p, const rng::Stream& draws);

}  // namespace ax::hw::ntv
