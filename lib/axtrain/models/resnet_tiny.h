// ResNet-tiny = MLPerf Tiny image-classification reference ResNet-8 (EEMBC CIFAR10_ResNetv1;
// PAPERS.md §8.2, §10 G-55), from mlcommons/tiny keras_model.py:
//   conv1 3×3 f0 (bias) → bn1 → act
//   stack1: conv1 3×3 f0 s1 → bn1 → act → conv2 3×3 f0 → bn2; + identity → act
//   stackK (K ≥ 2): conv1 3×3 fK s2 → bn1 → act → conv2 3×3 fK → bn2;
//                   + shortcut (1×1 fK s2 conv with bias, no BN) → act
//   global average pool → fc (Dense f_last → C, bias) → logits
// MAC layers (10 with the default filters): conv1, stack1.conv1, stack1.conv2, stack2.conv1,
// stack2.conv2, stack2.shortcut, stack3.conv1, stack3.conv2, stack3.shortcut, fc.
// 78,186 trainable parameters on 3×32×32 / 10 classes (77,706 conv/dense + 480 BN γ/β).
// YAML: {type: resnet_tiny, filters: [16, 32, 64]}
//   filters: channels per stack, one stack per entry (1–8 entries, each 1–4096); default
//            [16, 32, 64] (the v0.5 benchmark definition; later MLPerf versions default to 26).
// Keras fidelity: every conv and the dense layer have a bias; kernels are he_normal initialised
// (untruncated normal, std √(2/fan_in)), biases zero; BatchNorm ε = 1e-3 and PyTorch momentum
// 0.01 (Keras momentum 0.99). Deviations: 3×3 convs pad 1 on all sides (Keras "same" pads
// 0 top/left, 1 bottom/right at stride 2 — a one-pixel offset, G-55); the L2 1e-4 on kernels is
// the optimizer's weight decay, not part of the model.
// Adapts: any channel/class count and any H, W ≥ 1 (the final pool averages whatever map is left:
// 8×8 on 32×32, 7×7 on 28×28). Hidden activation: model.activation replaces every ReLU.
#pragma once
#include <vector>

#include <torch/nn/modules/batchnorm.h>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

struct ResNetTinyOptions final : ModelOptions {
  std::vector<std::int64_t> filters{16, 32, 64};
  std::string type() const override { return "resnet_tiny"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<Model> build(const ModelContext& ctx) const override;
  static const config::Options<ResNetTinyOptions>& options();
  static std::shared_ptr<const ModelOptions> parse(config::Section& s);
};

// One residual stack (two 3×3 convs; a 1×1 strided shortcut when stride > 1).
class ResNetTinyStackImpl : public torch::nn::Module {
 public:
  ResNetTinyStackImpl(std::int64_t in, std::int64_t out, std::int64_t stride, Activation act);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  Activation act_;
};
TORCH_MODULE(ResNetTinyStack);

class ResNetTiny final : public Model {
 public:
  ResNetTiny(const ModelContext& ctx, const std::vector<std::int64_t>& filters);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  layers::ApproxConv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<ResNetTinyStack> stacks_;
  layers::ApproxLinear fc{nullptr};
  Activation act_;
  Output out_;
};

}  // namespace ax::models
