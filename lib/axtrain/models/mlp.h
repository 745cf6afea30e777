// MLP: fully connected layers, hidden activation per config, optional sigmoid output.
// YAML: {type: mlp, hidden: [64, 64]} — input and output sizes come from the dataset, so
// AxTrain's 30-64-64-2 breast-cancer network is `hidden: [64, 64]` on that data set.
#pragma once
#include <vector>

#include "axtrain/layers/mac_layer.h"
#include "axtrain/models/model.h"

namespace ax::models {

struct MlpOptions final : ModelOptions {
  std::vector<std::int64_t> hidden{128, 128};
  std::string type() const override { return "mlp"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<Model> build(const ModelContext& ctx) const override;
  static const config::Options<MlpOptions>& options();
  static std::shared_ptr<const ModelOptions> parse(config::Section& s);
};

class Mlp final : public Model {
 public:
  Mlp(const ModelContext& ctx, const std::vector<std::int64_t>& hidden);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  std::vector<layers::ApproxLinear> fc_;
  Activation act_;
  Output out_;
};

}  // namespace ax::models
