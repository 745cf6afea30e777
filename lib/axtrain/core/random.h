// Keyed, counter-based random numbers for every draw of a run (noise injection, SC and NTV bit
// flips, random SC phases, SC-GDM steps): Philox4x32-10 (Salmon et al., SC'11), the generator of
// cuRAND and of PyTorch's CUDA backend, from Debian's Random123 headers.
//
// A draw is a pure function of (key, counter): the key names who draws (run seed, layer, which
// draw), the counter where — its high half the step (training step, evaluation batch), its low
// half the block index within the step's tensor. So a result does not depend on evaluation order,
// on how many other layers draw, on the number of threads or on a resume, and any slice of a
// stream is produced on its own. A future GPU kernel drawing the same (key, counter) gets the
// same 32-bit words; normal numbers can differ there in the last bits (other log/sin).
#pragma once
#include <array>
#include <cstdint>

namespace ax::rng {

// A 64-bit hash of a pair (splitmix64's finaliser over a ⊕ golden-ratio multiple of b): how keys
// of independent owners are derived from the run seed.
std::uint64_t mix(std::uint64_t a, std::uint64_t b);

// Which draw of a layer a stream serves (part of the key, so the draws are independent).
enum class Draw : std::uint64_t {
  Noise = 1,          // injected error (inject/), per polarity: sub-streams 0 and 1
  ActivationFlips,    // SC bit flips of the activation streams
  WeightFlipsPos,     // SC bit flips of the W⁺ streams
  WeightFlipsNeg,     // SC bit flips of the W⁻ streams
  ActivationPhases,   // SC random phases (phase_mode: random)
  WeightPhases,
  StorageFlips,       // NTV weight-storage bit flips
  OptimizerSteps,     // SC-GDM's stochastic counter steps
  SensitivityOutputs, // the outputs AxTrain's sensitivity term samples (phases.sensitivity.outputs)
};

// The counter's high half of each kind of step, kept apart by their top bits: training step g
// (g < 2⁶²); batch b of an evaluation pass (pass: a 31-bit number naming the pass, e.g. the
// repeat); batch b of the calibration forwards that `eval` runs before measuring.
inline std::uint64_t train_step(std::int64_t g) { return static_cast<std::uint64_t>(g); }
inline std::uint64_t eval_step(std::uint64_t pass, std::int64_t batch) {
  return (std::uint64_t{1} << 63) | ((pass & 0x7fffffffull) << 32) | static_cast<std::uint32_t>(batch);
}
inline std::uint64_t calibration_step(std::int64_t batch) {
  return (std::uint64_t{1} << 62) | static_cast<std::uint32_t>(batch);
}

// One stream: Philox key and the counter's high half.
struct Stream {
  std::uint64_t key = 0;
  std::uint64_t step = 0;
  // The stream of another draw by the same owner at the same step.
  Stream sub(std::uint64_t tag) const { return {mix(key, tag), step}; }
  Stream sub(Draw d) const { return sub(static_cast<std::uint64_t>(d)); }
};

// Block b of the stream: philox4x32-10(counter = (b, step) as four 32-bit words low first,
// key = key as two 32-bit words low first).
std::array<std::uint32_t, 4> block(const Stream& s, std::uint64_t b);

// out[i] = word first + i of the stream; word k is component k mod 4 of block ⌊k/4⌋.
void fill_u32(std::uint32_t* out, std::int64_t n, const Stream& s, std::uint64_t first);

// out[i] = standard normal number first + i of the stream: block b gives numbers 4b … 4b + 3 by
// Box–Muller, (z₀, z₁) from words (0, 1) and (z₂, z₃) from words (2, 3), with
// u₁ = (⌊w₀ / 2⁸⌋ + ½) · 2⁻²⁴ ∈ (0, 1), u₂ = ⌊w₁ / 2⁸⌋ · 2⁻²⁴, z₀ = √(−2 ln u₁) cos 2πu₂,
// z₁ = √(−2 ln u₁) sin 2πu₂. Vectorised (AVX-512, AVX2 or baseline, picked at run time); the
// builds can differ in the last bits, so a run is bit-reproducible per machine type.
void fill_standard_normal(float* out, std::int64_t n, const Stream& s, std::uint64_t first);

// An integer in [0, n) from one word: ⌊w · n / 2³²⌋ (bias below n / 2³²).
inline std::uint32_t below(std::uint32_t w, std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(w) * n) >> 32);
}

// The words of a stream in order from block `first_block` on, for draws whose count depends on
// the values drawn (geometric gaps between bit flips, per-row stochastic steps).
class Sequence {
 public:
  Sequence(const Stream& s, std::uint64_t first_block) : s_(s), next_block_(first_block) {}
  std::uint32_t u32() {
    if (used_ == 4) {
      buf_ = block(s_, next_block_++);
      used_ = 0;
    }
    return buf_[used_++];
  }
  std::uint64_t u64() {
    const std::uint64_t lo = u32();
    return lo | (static_cast<std::uint64_t>(u32()) << 32);
  }
  // A uniform number in (0, 1] with 53 random bits.
  double unit_open_below() { return (static_cast<double>(u64() >> 11) + 1.0) * 0x1.0p-53; }

 private:
  Stream s_;
  std::uint64_t next_block_;
  std::array<std::uint32_t, 4> buf_{};
  int used_ = 4;
};

}  // namespace ax::rng
