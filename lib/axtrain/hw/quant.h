// Uniform quantisation of layer operands, shared by every hardware model.
//
// operand_int = clamp(round(value / scale), lo, hi), value ≈ operand_int · scale, with torch::round
// (round half to even). Signed operands are symmetric: lo = -(2^(bits-1) - 1), hi = 2^(bits-1) - 1
// (sign-magnitude, so -2^(bits-1) is never used); unsigned operands use 0 .. 2^bits - 1.
// Scale policies (per tensor, recomputed on every forward pass):
//   max_abs: scale = max|t| / hi (the largest magnitude maps to the largest code)
//   pow2:    scale = 2^ceil(log2(max|t| / hi)) (dynamic fixed point: a power-of-two step)
//   a number: a fixed step (e.g. 1/128 for the q7 convention of Li et al.)
#pragma once
#include <cstdint>
#include <string>

#include <torch/types.h>
#include <yaml-cpp/yaml.h>

namespace ax::config {
class Section;
}

namespace ax::hw {

enum class ScalePolicy { MaxAbs, Pow2, Fixed };
enum class Signedness { Auto, Signed, Unsigned };

struct QuantSpec {
  int bits = 8;                               // operand width in bits (sign included)
  ScalePolicy policy = ScalePolicy::MaxAbs;
  double fixed_scale = 0.0;                   // used when policy == Fixed
  Signedness signedness = Signedness::Signed;

  // Reads `bits`, `scale` and `signed` from s (all optional, defaults from `defaults`).
  static QuantSpec parse(config::Section& s, const QuantSpec& defaults, int max_bits = 24);
  void dump(YAML::Node& out) const;
};

struct QuantParams {
  double scale = 1.0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

// Chooses scale and integer range for tensor t under spec. `allow_signed` = false forces an
// unsigned range (negative values clamp to 0).
QuantParams choose_quant(const torch::Tensor& t, const QuantSpec& spec, bool allow_signed = true);
// Integer codes (as a float tensor of integral values, exact below 2^24) of t.
torch::Tensor quantize_codes(const torch::Tensor& t, const QuantParams& q);
// codes · scale in the forward pass, identity gradient (straight-through estimator).
torch::Tensor fake_quant(const torch::Tensor& t, const QuantParams& q);

}  // namespace ax::hw
