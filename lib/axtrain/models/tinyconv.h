// TinyConv (PAPERS.md §8.1 (A), the first author's CONV_tiny): three 5×5 convs (32, 32, 64
// channels, padding 2, bias-free), each followed by BatchNorm → ReLU → AvgPool 2×2 → HardTanh(0,1)
// (activation: hardtanh01, the default) or BatchNorm → ReLU → AvgPool (activation: relu); then the
// classifier, a bias-free conv whose kernel equals the remaining spatial size (4×4 on 32×32 input,
// 3×3 on 28×28) → BatchNorm1d → logits. On CIFAR-10: 89,440 conv weights + 276 BN affine.
#pragma once
#include <torch/nn/modules/batchnorm.h>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

class TinyConv final : public Model {
 public:
  explicit TinyConv(const ModelContext& ctx);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, fc{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::BatchNorm1d bn4{nullptr};
  Activation act_;
  Output out_;
};

}  // namespace ax::models
