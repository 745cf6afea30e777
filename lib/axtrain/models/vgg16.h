// VGG16 for CIFAR-10 (PAPERS.md §8.6; kuangliu/pytorch-cifar layout — ASSUMPTION):
//   13 × [conv 3×3 pad 1 (with bias, as kuangliu's nn.Conv2d default) → BN → act] with channels
//   64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M
//   (M = max-pool 2×2/2) → flatten → classifier (Linear 512 → C).
// 14,728,266 parameters on 3×32×32 / 10 classes (14,710,464 conv weights + 4,224 conv biases
// + 8,448 BN γ/β + 5,130 classifier) — the number PAPERS.md gives and kuangliu's model has.
// Module names follow kuangliu's nn.Sequential indices, so its state dicts map 1:1 by name:
// MAC layers features.0, features.3, features.7, features.10, features.14, …, features.40,
// classifier (14 in all); BN layers features.1, features.4, …
// YAML: {type: vgg16} (no options of its own).
// Adapts: any channel/class count and any H, W ≥ 1. The max-pools use ceil mode (identical to
// kuangliu's floor mode whenever H and W are multiples of 32; 28×28 → 14, 7, 4, 2, 1), and the map
// left after the fifth pool is averaged globally (a no-op for the 1×1 map of 32×32 input; kuangliu
// flattens, which only works for 32×32). Hidden activation: model.activation replaces every ReLU.
// Initialisation: PyTorch defaults (kuangliu does not re-initialise).
#pragma once
#include <vector>

#include <torch/nn/modules/batchnorm.h>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

class Vgg16 final : public Model {
 public:
  explicit Vgg16(const ModelContext& ctx);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  struct Stage {  // one entry of the layout: a conv + BN, or a max-pool (conv empty)
    layers::ApproxConv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
  };
  std::vector<Stage> stages_;
  layers::ApproxLinear classifier{nullptr};
  Activation act_;
  Output out_;
};

}  // namespace ax::models
