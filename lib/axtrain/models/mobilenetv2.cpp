#include "axtrain/models/mobilenetv2.h"

#include "axtrain/layers/batch_norm.h"

#include "axtrain/core/errors.h"

namespace ax::models {

namespace {
layers::ApproxConv2d plain_conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                          std::int64_t groups = 1) {
  return layers::ApproxConv2d(layers::Conv2dSpec{in, out, k, stride, k / 2, groups, false});
}
}  // namespace

InvertedResidualImpl::InvertedResidualImpl(std::int64_t in, std::int64_t out, std::int64_t expansion,
                                           std::int64_t stride, Activation act)
    : stride_(stride), act_(act) {
  const std::int64_t planes = expansion * in;
  conv1 = register_module("conv1", plain_conv(in, planes, 1, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", plain_conv(planes, planes, 3, stride, planes));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", plain_conv(planes, out, 1, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
  if (stride == 1 && in != out) {
    auto sc = register_module("shortcut", std::make_shared<torch::nn::Module>());
    short_conv = sc->register_module("0", plain_conv(in, out, 1, 1));
    short_bn = sc->register_module("1", torch::nn::BatchNorm2d(out));
  }
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  y = activate(act_, layers::batch_norm(bn2, conv2->forward(y)));
  y = layers::batch_norm(bn3, conv3->forward(y));
  if (stride_ != 1) return y;
  return y + (short_conv ? layers::batch_norm(short_bn, short_conv->forward(x)) : x);
}

MobileNetV2::MobileNetV2(const ModelContext& ctx) : act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model mobilenetv2 needs image data ([C, H, W]); this data set has rows");
  struct StageCfg {
    std::int64_t expansion, channels, repeats, stride;
  };
  const StageCfg stages[] = {{1, 16, 1, 1},  {6, 24, 2, 1},  {6, 32, 3, 2},  {6, 64, 4, 2},
                             {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  conv1 = register_module("conv1", plain_conv(ctx.input_shape[0], 32, 3, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(32));
  auto seq = register_module("layers", std::make_shared<torch::nn::Module>());
  std::int64_t in = 32;
  for (const auto& s : stages) {
    for (std::int64_t r = 0; r < s.repeats; ++r) {
      blocks_.push_back(seq->register_module(std::to_string(blocks_.size()),
                                             InvertedResidual(in, s.channels, s.expansion, r == 0 ? s.stride : 1, act_)));
      in = s.channels;
    }
  }
  conv2 = register_module("conv2", plain_conv(in, 1280, 1, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(1280));
  linear = register_module("linear", layers::ApproxLinear(layers::LinearSpec{1280, ctx.num_classes, true}));
}

torch::Tensor MobileNetV2::forward(torch::Tensor x) {
  x = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  for (auto& b : blocks_) x = b->forward(x);
  x = activate(act_, layers::batch_norm(bn2, conv2->forward(x)));
  x = linear->forward(x.mean({2, 3}));
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

}  // namespace ax::models
