// The per-layer `sc` hardware: exact() runs the packed stream emulation (emulate.h), proxy() the
// SC_act / linear surrogate (proxy.h), trace() exposes levels and stream counts. Options and YAML
// keys: options.h.
#pragma once
#include <memory>

#include "axtrain/hw/hardware.h"
#include "axtrain/hw/mac/weight_cache.h"
#include "axtrain/hw/sc/options.h"
#include "axtrain/hw/sc/streams.h"

namespace ax::hw::sc {

class ScHardware final : public LayerHardware {
 public:
  ScHardware(ScOptions o, LayerInfo layer);

  torch::Tensor proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  // Output = counts · s_a · s_w · L in input units: (popcount(o⁺) − popcount(o⁻)) / L times the
  // two full scales (with the default scales 1/L: the plain probability difference).
  torch::Tensor exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  // input_int = activation levels (x⁺ − x⁻ when split; bipolar: 2q − L), weight_int = W⁺ − W⁻
  // levels (bipolar: 2q − L), exact_int = the stream counts of exact().
  IntegerTrace trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  // Unipolar streams: u± of the proxy in stream-probability units and r± = popcount(o±)/L of
  // the same streams as exact(), scale c = s_a·s_w·L² (type-1 injection, PAPERS.md §7.6);
  // bipolar streams: none.
  std::optional<inject::Polarities> proxy_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                     const MacOp& op) override;
  std::optional<inject::Polarities> exact_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                     const MacOp& op) override;
  // {"words": activation words met, "zero_word_rate": fraction skipped as zero (ReLU sparsity)}.
  nlohmann::json stats() const override;
  void reset_stats() override;

  const ScOptions& options() const { return o_; }

 private:
  ScOptions o_;
  LayerInfo layer_;
  std::shared_ptr<const StreamEncoder> enc_;
  torch::Tensor counters_;  // int64 [words, skipped], a registered buffer
  mac::WeightCache cache_;  // packed weight streams while the weight levels are unchanged
};

// The shared encoder (LFSR table) of a kind and length.
std::shared_ptr<const StreamEncoder> stream_encoder(LfsrKind kind, int length);

}  // namespace ax::hw::sc
