// ResNet-18 (He et al. 2016; PAPERS.md §8.3), torchvision's definition and module names, so
// torchvision state dicts map 1:1 by name (conv1.weight, bn1.running_mean, layer2.0.downsample.0.weight,
// layer2.0.downsample.1.num_batches_tracked, fc.bias, …; each MAC layer also holds a parameter-free
// "hw" submodule whose buffers, if any, are extra entries):
//   conv1 → bn1 → act → [maxpool 3×3/2/1] → layer1..layer4 (2 BasicBlocks each, 64/128/256/512
//   channels, strides 1/2/2/2; block: conv1 3×3 → bn1 → act → conv2 3×3 → bn2, + identity or
//   downsample (0: 1×1/s conv, 1: BN) → act) → global average pool → fc (512 → C, bias).
// Convs have no bias. 21 MAC layers: conv1, layer1.0.conv1, layer1.0.conv2, …, layer2.0.downsample.0,
// …, fc. Parameters: 11,689,512 with the ImageNet stem on 3×224×224 / 1000 classes; 11,173,962
// with the CIFAR stem on 3×32×32 / 10.
// YAML: {type: resnet18, stem: auto}
//   stem: imagenet — conv1 7×7/2 pad 3 + max-pool 3×3/2 pad 1 (torchvision);
//         cifar    — conv1 3×3/1 pad 1, no max-pool (kuangliu/pytorch-cifar; §8.3 CIFAR variant);
//         auto     — imagenet when the input height is ≥ 128, else cifar (default).
// Initialisation as torchvision: convs kaiming_normal (fan_out, ReLU gain), BN γ = 1, β = 0, fc the
// PyTorch Linear default. The CIFAR stem keeps torchvision's names (kuangliu calls the shortcut
// "shortcut" and the classifier "linear") and its init.
// Adapts: any channel/class count; any H, W ≥ 1 (global average pooling; 4×4 → 1×1 on CIFAR,
// 7×7 on 224). Hidden activation: model.activation replaces every ReLU (the max-pool stays; rex-sc's
// SC variant also swaps it for an average pool, which is not done here).
#pragma once
#include <vector>

#include <torch/nn/modules/batchnorm.h>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

enum class ResNetStem { Auto, ImageNet, Cifar };

struct ResNet18Options final : ModelOptions {
  ResNetStem stem = ResNetStem::Auto;
  std::string type() const override { return "resnet18"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<Model> build(const ModelContext& ctx) const override;
  static const config::Options<ResNet18Options>& options();
  static std::shared_ptr<const ModelOptions> parse(config::Section& s);
};

// torchvision BasicBlock (expansion 1).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride, Activation act);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  layers::ApproxConv2d conv1{nullptr}, conv2{nullptr}, down_conv{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, down_bn{nullptr};
  Activation act_;
};
TORCH_MODULE(BasicBlock);

class ResNet18 final : public Model {
 public:
  ResNet18(const ModelContext& ctx, ResNetStem stem);
  torch::Tensor forward(torch::Tensor x) override;
  bool imagenet_stem() const { return imagenet_stem_; }

 private:
  layers::ApproxConv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<BasicBlock> blocks_;
  layers::ApproxLinear fc{nullptr};
  bool imagenet_stem_ = true;
  Activation act_;
  Output out_;
};

}  // namespace ax::models
