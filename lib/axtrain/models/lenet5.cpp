#include "axtrain/models/lenet5.h"

#include "axtrain/config/options.h"

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"

namespace ax::models {

LeNet5::LeNet5(const ModelContext& ctx, Pool pool) : pool_(pool), act_(ctx.activation), out_(ctx.output) {
  if (ctx.input_shape.size() != 3)
    throw ConfigError("model lenet5 needs image data ([C, H, W]); this data set has rows");
  const std::int64_t c = ctx.input_shape[0], h = ctx.input_shape[1], w = ctx.input_shape[2];
  const std::int64_t hs = (h / 2 - 4) / 2, ws = (w / 2 - 4) / 2;
  if (h < 12 || w < 12)
    throw ConfigError(fmt::format("model lenet5 needs images of at least 12×12; got {}×{}", h, w));
  using layers::Conv2dSpec;
  using layers::LinearSpec;
  conv1 = register_module("conv1", layers::ApproxConv2d(Conv2dSpec{c, 6, 5, 1, 2, 1, true}));
  conv2 = register_module("conv2", layers::ApproxConv2d(Conv2dSpec{6, 16, 5, 1, 0, 1, true}));
  fc1 = register_module("fc1", layers::ApproxLinear(LinearSpec{16 * hs * ws, 120, true}));
  fc2 = register_module("fc2", layers::ApproxLinear(LinearSpec{120, 84, true}));
  fc3 = register_module("fc3", layers::ApproxLinear(LinearSpec{84, ctx.num_classes, true}));
}

torch::Tensor LeNet5::forward(torch::Tensor x) {
  auto pool = [&](const torch::Tensor& t) {
    return pool_ == Pool::Avg ? torch::avg_pool2d(t, 2) : torch::max_pool2d(t, 2);
  };
  x = pool(activate(act_, conv1->forward(x)));
  x = pool(activate(act_, conv2->forward(x)));
  x = activate(act_, fc1->forward(x.flatten(1)));
  x = activate(act_, fc2->forward(x));
  x = fc3->forward(x);
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

const config::Options<LeNet5Options>& LeNet5Options::options() {
  using O = LeNet5Options;
  static const auto o = config::Options<O>("model (lenet5)")
                            .choice<Pool>("pool", [](O& o) -> Pool& { return o.pool; },
                                          {{"avg", Pool::Avg}, {"max", Pool::Max}}, "the two subsampling layers");
  return o;
}

void LeNet5Options::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<Model> LeNet5Options::build(const ModelContext& ctx) const {
  return std::make_shared<LeNet5>(ctx, pool);
}

std::shared_ptr<const ModelOptions> LeNet5Options::parse(config::Section& s) {
  auto o = std::make_shared<LeNet5Options>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::models
