// `ntv`: near-threshold-voltage SRAM weight storage with random bit flips (AxTrain, ISLPED'18,
// §7.11 points 2–3 of PAPERS.md; §10 G-44, G-48).
//
// Weights are stored as `word_bits`-bit two's-complement dynamic fixed point with one fraction
// length f per layer (per weight tensor): q = clamp(round_half_even(w · 2^f), −2^(B−1), 2^(B−1)−1),
// value = q · 2^−f. With integer_bits: auto, f = B − 1 − I where I = floor(log2 max|w|) + 1 is
// the smallest power-of-two range [−2^I, 2^I) that holds max|w| (Courbariaux-style dynamic fixed
// point; I ≤ 0 when max|w| < 1, i.e. no integer bits, so a sign-bit flip costs 2^I, not the full
// range of an integer format). Every read of the weights (every forward pass, training and
// evaluation, not in mode ideal) flips each stored bit independently with probability
// `flip_rate`, with a fresh pattern per step drawn from the layer's stream (core/random.h). The gradient
// passes straight through to the stored weight (plain) or AxTrain's Eq. 12 (clipped):
// grad · 1{|grad| < 1}.
//
// As storage (composes with any arithmetic):
//   hardware: {type: fixed_point, storage: {type: ntv, flip_rate: 0.01}}
// As hardware (ideal float arithmetic + ntv storage; G-48: AxTrain evaluates NTV alone):
//   hardware: {type: ntv, flip_rate: 0.01}
//
// Keys (all optional; defaults shown):
//   flip_rate: 0.01          # probability that a stored bit reads flipped, [0, 1]. AxTrain
//                            # Table 1 (Dreslinski et al.): 0.1 @ 400 mV, 0.01 @ 660 mV,
//                            # 0.001 @ 850 mV.
//   word_bits: 16            # bits per stored weight word, sign included, 2..32 (G-44: 16)
//   integer_bits: auto       # I above; auto = from max|w| per read, or a fixed integer −64..31
//                            # (e.g. 0: the fixed format [−1, 1) with B−1 fraction bits)
//   flip_in: train_and_eval  # train_and_eval | eval_only (flips only when the model is in eval
//                            # mode; training then sees the quantised weights)
//   ste: plain               # plain | clipped (AxTrain Eq. 12, gates on |grad| < 1, G-45)
#pragma once
#include <cstdint>

#include "axtrain/config/options.h"
#include "axtrain/hw/hardware.h"

namespace ax::hw {

struct NtvStorageOptions final : StorageOptions {
  enum class FlipIn { TrainAndEval, EvalOnly };
  enum class Ste { Plain, Clipped };

  double flip_rate = 0.01;
  int word_bits = 16;
  bool auto_integer_bits = true;
  int integer_bits = 0;  // when !auto_integer_bits
  FlipIn flip_in = FlipIn::TrainAndEval;
  Ste ste = Ste::Plain;

  std::string type() const override { return "ntv"; }
  void dump(YAML::Node& out) const override;
  void describe_cost(CostKeys& k) const override {
    k.weight_bits = word_bits;
    k.flip_rate = flip_rate;
  }
  std::shared_ptr<WeightStorage> make(const LayerInfo& layer) const override;
  static std::shared_ptr<const StorageOptions> parse(config::Section& s);
  // Reads the keys into o (shared by the storage and the hardware type).
  static void parse_into(config::Section& s, NtvStorageOptions& o);
  // The keys, declared once: parse, dump and the docs/hardware/ntv.md check come from it.
  static const config::Options<NtvStorageOptions>& options();
};

// Hardware type `ntv`: ideal float arithmetic with ntv weight storage.
struct NtvOptions final : HardwareOptions {
  NtvStorageOptions storage;

  std::string type() const override { return "ntv"; }
  void dump(YAML::Node& out) const override { storage.dump(out); }
  void describe_cost(CostKeys& k) const override { storage.describe_cost(k); }  // float arithmetic
  std::shared_ptr<LayerHardware> make(const LayerInfo& layer) const override;
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
};

}  // namespace ax::hw
