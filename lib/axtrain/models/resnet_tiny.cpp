#include "axtrain/models/resnet_tiny.h"

#include "axtrain/layers/batch_norm.h"

#include "axtrain/config/options.h"

#include <cmath>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"

namespace ax::models {

namespace {

// Keras BatchNormalization defaults: epsilon 1e-3, momentum 0.99 (PyTorch momentum 0.01).
torch::nn::BatchNorm2d keras_bn(std::int64_t c) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(1e-3).momentum(0.01));
}

// Keras he_normal (untruncated) kernel, zero bias.
void he_normal(layers::MacLayerImpl& l) {
  torch::NoGradGuard g;
  const double fan_in = static_cast<double>(l.weight.numel() / l.weight.size(0));
  l.weight.normal_(0.0, std::sqrt(2.0 / fan_in));
  if (l.bias.defined()) l.bias.zero_();
}

layers::ApproxConv2d he_conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride) {
  layers::ApproxConv2d c(layers::Conv2dSpec{in, out, k, stride, k / 2, 1, true});
  he_normal(*c);
  return c;
}

}  // namespace

ResNetTinyStackImpl::ResNetTinyStackImpl(std::int64_t in, std::int64_t out, std::int64_t stride, Activation act)
    : act_(act) {
  conv1 = register_module("conv1", he_conv(in, out, 3, stride));
  bn1 = register_module("bn1", keras_bn(out));
  conv2 = register_module("conv2", he_conv(out, out, 3, 1));
  bn2 = register_module("bn2", keras_bn(out));
  if (stride != 1 || in != out) shortcut = register_module("shortcut", he_conv(in, out, 1, stride));
}

torch::Tensor ResNetTinyStackImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  y = layers::batch_norm(bn2, conv2->forward(y));
  return activate(act_, (shortcut ? shortcut->forward(x) : x) + y);
}

ResNetTiny::ResNetTiny(const ModelContext& ctx, const std::vector<std::int64_t>& filters)
    : act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model resnet_tiny needs image data ([C, H, W]); this data set has rows");
  conv1 = register_module("conv1", he_conv(ctx.input_shape[0], filters[0], 3, 1));
  bn1 = register_module("bn1", keras_bn(filters[0]));
  std::int64_t in = filters[0];
  for (std::size_t i = 0; i < filters.size(); ++i) {
    stacks_.push_back(register_module("stack" + std::to_string(i + 1),
                                      ResNetTinyStack(in, filters[i], i == 0 ? 1 : 2, act_)));
    in = filters[i];
  }
  fc = register_module("fc", layers::ApproxLinear(layers::LinearSpec{in, ctx.num_classes, true}));
  he_normal(*fc);
}

torch::Tensor ResNetTiny::forward(torch::Tensor x) {
  x = activate(act_, layers::batch_norm(bn1, conv1->forward(x)));
  for (auto& s : stacks_) x = s->forward(x);
  x = fc->forward(x.mean({2, 3}));
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

const config::Options<ResNetTinyOptions>& ResNetTinyOptions::options() {
  using O = ResNetTinyOptions;
  static const auto o =
      config::Options<O>("model (resnet_tiny)")
          .integers("filters", [](O& o) -> std::vector<std::int64_t>& { return o.filters; }, 1, 4096,
                    "channels of each residual stack (1 to 8 stacks)")
          .check([](const O& o) {
            return o.filters.empty() || o.filters.size() > 8 ? "needs 1 to 8 entries (one residual stack each)" : "";
          });
  return o;
}

void ResNetTinyOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<Model> ResNetTinyOptions::build(const ModelContext& ctx) const {
  return std::make_shared<ResNetTiny>(ctx, filters);
}

std::shared_ptr<const ModelOptions> ResNetTinyOptions::parse(config::Section& s) {
  auto o = std::make_shared<ResNetTinyOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::models
