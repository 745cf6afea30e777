#include "axtrain/models/tinyconv.h"

#include "axtrain/layers/batch_norm.h"

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::models {

TinyConv::TinyConv(const ModelContext& ctx) : act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model tinyconv needs image data ([C, H, W]); this data set has rows");
  const std::int64_t c = ctx.input_shape[0], h = ctx.input_shape[1], w = ctx.input_shape[2];
  std::int64_t hs = h / 8, ws = w / 8;
  if (hs < 1 || ws < 1 || hs != ws)
    throw ConfigError(fmt::format("model tinyconv needs square images of at least 8×8; got {}×{}", h, w));
  using layers::Conv2dSpec;
  conv1 = register_module("conv1", layers::ApproxConv2d(Conv2dSpec{c, 32, 5, 1, 2}));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(32));
  conv2 = register_module("conv2", layers::ApproxConv2d(Conv2dSpec{32, 32, 5, 1, 2}));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(32));
  conv3 = register_module("conv3", layers::ApproxConv2d(Conv2dSpec{32, 64, 5, 1, 2}));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(64));
  fc = register_module("fc", layers::ApproxConv2d(Conv2dSpec{64, ctx.num_classes, hs, 1, 0}));
  bn4 = register_module("bn4", torch::nn::BatchNorm1d(ctx.num_classes));
}

torch::Tensor TinyConv::forward(torch::Tensor x) {
  auto block = [&](layers::ApproxConv2d& conv, torch::nn::BatchNorm2d& bn, torch::Tensor t) {
    t = torch::relu(layers::batch_norm(bn, conv->forward(t)));
    t = torch::avg_pool2d(t, 2);
    return act_ == Activation::HardTanh01 ? torch::clamp(t, 0.0, 1.0) : t;
  };
  x = block(conv1, bn1, x);
  x = block(conv2, bn2, x);
  x = block(conv3, bn3, x);
  x = layers::batch_norm(bn4, fc->forward(x).flatten(1));
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

}  // namespace ax::models
