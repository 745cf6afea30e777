#include "axtrain/models/vgg16.h"

#include "axtrain/layers/batch_norm.h"

#include "axtrain/core/errors.h"

namespace ax::models {

Vgg16::Vgg16(const ModelContext& ctx) : act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model vgg16 needs image data ([C, H, W]); this data set has rows");
  constexpr std::int64_t M = 0;  // max-pool
  const std::int64_t layout[] = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
  auto features = register_module("features", std::make_shared<torch::nn::Module>());
  std::int64_t in = ctx.input_shape[0], index = 0;  // index into kuangliu's nn.Sequential
  for (std::int64_t out : layout) {
    Stage s;
    if (out == M) {
      index += 1;  // MaxPool2d
    } else {
      s.conv = features->register_module(std::to_string(index),
                                         layers::ApproxConv2d(layers::Conv2dSpec{in, out, 3, 1, 1, 1, true}));
      s.bn = features->register_module(std::to_string(index + 1), torch::nn::BatchNorm2d(out));
      index += 3;  // Conv2d, BatchNorm2d, ReLU
      in = out;
    }
    stages_.push_back(s);
  }
  classifier = register_module("classifier", layers::ApproxLinear(layers::LinearSpec{in, ctx.num_classes, true}));
}

torch::Tensor Vgg16::forward(torch::Tensor x) {
  for (auto& s : stages_) {
    if (s.conv) x = activate(act_, layers::batch_norm(s.bn, s.conv->forward(x)));
    else x = torch::max_pool2d(x, 2, 2, 0, 1, /*ceil_mode=*/true);
  }
  x = classifier->forward(x.mean({2, 3}));
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

}  // namespace ax::models
