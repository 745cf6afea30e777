// LeNet-5 (PAPERS.md §8.4, AxTrain's "MNIST-CNN"; classic LeCun et al. 1998 layout — ASSUMPTION):
//   conv1 5×5, 6, pad 2 → act → pool 2×2 → conv2 5×5, 16, pad 0 → act → pool 2×2
//   → fc1 (16·h·w → 120) → act → fc2 120→84 → act → fc3 84→C.
// All five MAC layers have biases. On 1×28×28 / 10 classes: 61,706 parameters (fc1 400→120).
// YAML: {type: lenet5, pool: avg}
//   pool: avg | max — the 2×2/2 pooling (unstated in the seed; default avg, as in GEO's
//         CONV_minimal).
// Adapts: any channel count and class count; any H, W ≥ 12. conv1 always pads 2 ("same"), so the
// first FC input is 16 · ⌊(⌊H/2⌋ − 4)/2⌋ · ⌊(⌊W/2⌋ − 4)/2⌋ (400 on 28×28, 576 on 32×32).
// Hidden activation: model.activation (relu | hardtanh01) after conv1, conv2, fc1, fc2 (before
// pooling); model.output: sigmoid puts a sigmoid on the logits (AxTrain's sigmoid output layer).
#pragma once
#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

enum class Pool { Avg, Max };

struct LeNet5Options final : ModelOptions {
  Pool pool = Pool::Avg;
  std::string type() const override { return "lenet5"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<Model> build(const ModelContext& ctx) const override;
  static const config::Options<LeNet5Options>& options();
  static std::shared_ptr<const ModelOptions> parse(config::Section& s);
};

class LeNet5 final : public Model {
 public:
  LeNet5(const ModelContext& ctx, Pool pool);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr};
  layers::ApproxLinear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  Pool pool_;
  Activation act_;
  Output out_;
};

}  // namespace ax::models
