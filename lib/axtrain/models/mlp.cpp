#include "axtrain/models/mlp.h"

#include "axtrain/config/options.h"

#include "axtrain/config/section.h"

namespace ax::models {

Mlp::Mlp(const ModelContext& ctx, const std::vector<std::int64_t>& hidden)
    : act_(ctx.activation), out_(ctx.output) {
  std::int64_t in = 1;
  for (auto d : ctx.input_shape) in *= d;
  std::vector<std::int64_t> sizes{in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(ctx.num_classes);
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    fc_.push_back(register_module("fc" + std::to_string(i + 1),
                                  layers::ApproxLinear(layers::LinearSpec{sizes[i], sizes[i + 1], true})));
  }
}

torch::Tensor Mlp::forward(torch::Tensor x) {
  x = x.flatten(1);
  for (std::size_t i = 0; i < fc_.size(); ++i) {
    x = fc_[i]->forward(x);
    if (i + 1 < fc_.size()) x = activate(act_, x);
  }
  return out_ == Output::Sigmoid ? torch::sigmoid(x) : x;
}

const config::Options<MlpOptions>& MlpOptions::options() {
  using O = MlpOptions;
  static const auto o =
      config::Options<O>("model (mlp)")
          .integers("hidden", [](O& o) -> std::vector<std::int64_t>& { return o.hidden; }, 1, 1 << 20,
                    "hidden layer widths; input and output sizes come from the data");
  return o;
}

void MlpOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<Model> MlpOptions::build(const ModelContext& ctx) const {
  return std::make_shared<Mlp>(ctx, hidden);
}

std::shared_ptr<const ModelOptions> MlpOptions::parse(config::Section& s) {
  auto o = std::make_shared<MlpOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::models
