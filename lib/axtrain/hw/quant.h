// Uniform quantisation of layer operands, shared by every hardware model.
//
// operand_int = clamp(round(value / scale), lo, hi), value ≈ operand_int · scale, with torch::round
// (round half to even). Signed operands are symmetric: lo = -(2^(bits-1) - 1), hi = 2^(bits-1) - 1
// (sign-magnitude, so -2^(bits-1) is never used); unsigned operands use 0 .. 2^bits - 1.
// Scale policies:
//   a number:  a fixed step (e.g. 1/128 for the q7 convention of Li et al., PAPERS.md §7.0)
//   calibrate: (activations only) a static step as a chip has: max|x| over the layer's inputs in
//              its first `calibration_batches` training-mode forwards with hardware arithmetic
//              (not `ideal` mode), then frozen — in a registered buffer, so checkpoints and resumes
//              keep it; `axtrain eval` on other hardware calibrates on training batches first.
//              scale = max / hi; `signed: auto` is frozen likewise (negatives seen or not). Until
//              calibrated (a layer that never ran in training), the current tensor's range.
//   calibrate_pow2: the same, with the power-of-two step of pow2 (static dynamic fixed point)
//   max_abs:   scale = max|t| / hi, recomputed on every forward pass (the largest magnitude maps
//              to the largest code; for weights, static between optimizer steps — for activations
//              it makes a sample's result depend on the rest of its batch)
//   pow2:      scale = 2^ceil(log2(max|t| / hi)), per forward pass (dynamic fixed point)
#pragma once
#include <cstdint>
#include <string>

#include <torch/types.h>
#include <yaml-cpp/yaml.h>

namespace ax::config {
class Section;
}

namespace ax::hw {

enum class ScalePolicy { MaxAbs, Pow2, Fixed, Calibrate, CalibratePow2 };
enum class Signedness { Auto, Signed, Unsigned };

struct QuantSpec {
  int bits = 8;                               // operand width in bits (sign included)
  ScalePolicy policy = ScalePolicy::MaxAbs;
  double fixed_scale = 0.0;                   // used when policy == Fixed
  Signedness signedness = Signedness::Signed;
  std::int64_t calibration_batches = 10;      // used when calibrates()

  bool calibrates() const { return policy == ScalePolicy::Calibrate || policy == ScalePolicy::CalibratePow2; }

  // Reads `bits`, `scale`, `signed` (and `calibration_batches` with scale: calibrate) from s, all
  // optional, defaults from `defaults`. `calibrate` is accepted only when `activation` is true.
  static QuantSpec parse(config::Section& s, const QuantSpec& defaults, int max_bits = 24, bool activation = false);
  void dump(YAML::Node& out) const;
};

struct QuantParams {
  double scale = 1.0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

// A layer's calibrated input range (policy calibrate; hardware.h keeps it per layer).
struct CalibratedRange {
  double max_abs = 0.0;   // largest |x| seen
  bool negative = false;  // a negative input seen
};

// Chooses scale and integer range for tensor t under spec. `allow_signed` = false forces an
// unsigned range (negative values clamp to 0). With policy calibrate, `calibrated` (when given)
// replaces t's range; without it t's own range is used.
QuantParams choose_quant(const torch::Tensor& t, const QuantSpec& spec, bool allow_signed = true,
                         const CalibratedRange* calibrated = nullptr);
// The step for a range max_abs (> 0, finite) mapped onto `levels` codes under a max-abs policy:
// max_abs / levels, rounded up to a power of two for pow2 and calibrate_pow2. Shared by
// choose_quant and models that pick their own levels (sc streams).
double policy_step(double max_abs, double levels, ScalePolicy policy);
// Integer codes (as a float tensor of integral values, exact below 2^24) of t.
torch::Tensor quantize_codes(const torch::Tensor& t, const QuantParams& q);
// codes · scale in the forward pass, identity gradient (straight-through estimator).
torch::Tensor fake_quant(const torch::Tensor& t, const QuantParams& q);

}  // namespace ax::hw
