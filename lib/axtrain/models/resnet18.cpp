#include "axtrain/models/resnet18.h"

#include "axtrain/layers/batch_norm.h"

#include "axtrain/config/options.h"

#include <cmath>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"

namespace ax::models {

namespace {

// torchvision: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").
layers::ApproxConv2d kaiming_conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                          std::int64_t pad) {
  layers::ApproxConv2d c(layers::Conv2dSpec{in, out, k, stride, pad, 1, false});
  torch::NoGradGuard g;
  c->weight.normal_(0.0, std::sqrt(2.0 / static_cast<double>(out * k * k)));
  return c;
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride, Activation act)
    : act_(act) {
  conv1 = register_module("conv1", kaiming_conv(in, out, 3, stride, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
  conv2 = register_module("conv2", kaiming_conv(out, out, 3, 1, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
  if (stride != 1 || in != out) {
    // torchvision's nn.Sequential(conv1x1, BatchNorm2d): children named "0" and "1".
    auto down = register_module("downsample", std::make_shared<torch::nn::Module>());
    down_conv = down->register_module("0", kaiming_conv(in, out, 1, stride, 0));
    down_bn = down->register_module("1", torch::nn::BatchNorm2d(out));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  y = layers::batch_norm(bn2, conv2->forward(y));
  torch::Tensor identity = down_conv ? layers::batch_norm(down_bn, down_conv->forward(x)) : x;
  return activate(act_, y + identity);
}

ResNet18::ResNet18(const ModelContext& ctx, ResNetStem stem) : act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model resnet18 needs image data ([C, H, W]); this data set has rows");
  imagenet_stem_ = stem == ResNetStem::ImageNet || (stem == ResNetStem::Auto && ctx.input_shape[1] >= 128);
  const std::int64_t c = ctx.input_shape[0];
  conv1 = register_module("conv1", imagenet_stem_ ? kaiming_conv(c, 64, 7, 2, 3) : kaiming_conv(c, 64, 3, 1, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  const std::int64_t widths[4] = {64, 128, 256, 512};
  std::int64_t in = 64;
  for (int l = 0; l < 4; ++l) {
    auto layer = register_module("layer" + std::to_string(l + 1), std::make_shared<torch::nn::Module>());
    for (int b = 0; b < 2; ++b) {
      const std::int64_t stride = (l > 0 && b == 0) ? 2 : 1;
      blocks_.push_back(layer->register_module(std::to_string(b), BasicBlock(in, widths[l], stride, act_)));
      in = widths[l];
    }
  }
  fc = register_module("fc", layers::ApproxLinear(layers::LinearSpec{512, ctx.num_classes, true}));
}

torch::Tensor ResNet18::forward(torch::Tensor x) {
  x = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  if (imagenet_stem_) x = torch::max_pool2d(x, 3, 2, 1);
  for (auto& b : blocks_) x = b->forward(x);
  x = fc->forward(x.mean({2, 3}));
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

const config::Options<ResNet18Options>& ResNet18Options::options() {
  using O = ResNet18Options;
  static const auto o = config::Options<O>("model (resnet18)")
                            .choice<ResNetStem>("stem", [](O& o) -> ResNetStem& { return o.stem; },
                                                {{"auto", ResNetStem::Auto},
                                                 {"imagenet", ResNetStem::ImageNet},
                                                 {"cifar", ResNetStem::Cifar}},
                                                "auto: imagenet (7×7 stride 2 + max pool) for inputs ≥ 128 px high, else "
                                                "cifar (3×3 stride 1)");
  return o;
}

void ResNet18Options::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<Model> ResNet18Options::build(const ModelContext& ctx) const {
  return std::make_shared<ResNet18>(ctx, stem);
}

std::shared_ptr<const ModelOptions> ResNet18Options::parse(config::Section& s) {
  auto o = std::make_shared<ResNet18Options>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::models
