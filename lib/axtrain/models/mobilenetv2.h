// MobileNetV2 for CIFAR-10 (PAPERS.md §8.7; kuangliu/pytorch-cifar layout — ASSUMPTION):
//   conv1 3×3/1 32 → bn1 → act → 17 inverted-residual blocks → conv2 1×1 320→1280 → bn2 → act
//   → global average pool → linear (1280 → C, bias).
// Stages (expansion t, channels c, repeats n, first stride s): (1,16,1,1) (6,24,2,1) (6,32,3,2)
// (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1) — the CIFAR change is stride 1 in the stem and in
// stage 2. Block: conv1 1×1 expand to t·c_in → bn1 → act → conv2 3×3 depthwise (groups = t·c_in,
// stride s) → bn2 → act → conv3 1×1 project → bn3; the residual is added only when s = 1, through
// shortcut (0: 1×1 conv, 1: BN) when c_in ≠ c_out, else the identity. Convs have no bias.
// 2,296,922 parameters on 3×32×32 / 10 classes. Module names are kuangliu's (conv1, layers.0.conv1,
// layers.0.shortcut.0, …, conv2, linear): 58 MAC layers (1 stem + 17×3 + 4 shortcuts + conv2 + linear).
// YAML: {type: mobilenetv2} (no options of its own).
// Adapts: any channel/class count and any H, W ≥ 1 (global pooling instead of kuangliu's
// fixed-size pool, which does not even match Linear(1280, C) in the revision PAPERS.md saw).
// Hidden activation: model.activation replaces every ReLU. Initialisation: PyTorch defaults.
#pragma once
#include <vector>

#include <torch/nn/modules/batchnorm.h>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(std::int64_t in, std::int64_t out, std::int64_t expansion, std::int64_t stride,
                       Activation act);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, short_conv{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, short_bn{nullptr};
  std::int64_t stride_;
  Activation act_;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2 final : public Model {
 public:
  explicit MobileNetV2(const ModelContext& ctx);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  std::vector<InvertedResidual> blocks_;
  layers::ApproxLinear linear{nullptr};
  Activation act_;
  Output out_;
};

}  // namespace ax::models
