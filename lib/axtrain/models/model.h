// Model zoo contract. Every model is built from layers::ApproxLinear / ApproxConv2d (so hardware
// applies to all of them) and takes its input shape and class count from the dataset.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/core/registry.h"

namespace ax::config {
class Section;
template <class T>
class Options;
}

namespace ax::models {

enum class Activation { Relu, HardTanh01 };
enum class Output { Logits, Sigmoid };

torch::Tensor activate(Activation a, const torch::Tensor& x);

// What a model is built for.
struct ModelContext {
  std::vector<std::int64_t> input_shape;  // {C, H, W} or {F}
  std::int64_t num_classes = 10;
  Activation activation = Activation::Relu;
  Output output = Output::Logits;
};

class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

struct ModelOptions {
  virtual ~ModelOptions() = default;
  virtual std::string type() const = 0;
  virtual void dump(YAML::Node& out) const = 0;
  virtual std::shared_ptr<Model> build(const ModelContext& ctx) const = 0;
  // Default hidden activation of this architecture when the config does not say.
  virtual Activation default_activation() const { return Activation::Relu; }
};

using ModelParser = std::function<std::shared_ptr<const ModelOptions>(config::Section&)>;
Registry<ModelParser>& model_registry();
void register_all();

struct ModelSpec {
  std::string type;
  std::shared_ptr<const ModelOptions> options;
  Activation activation = Activation::Relu;
  Output output = Output::Logits;

  // The common keys; `type` brings the model type's own (model_registry().keys(type)).
  static const config::Options<ModelSpec>& declaration();
  static ModelSpec parse(config::Section& s);
  YAML::Node dump() const;
  std::shared_ptr<Model> build(const std::vector<std::int64_t>& input_shape,
                               std::int64_t num_classes) const;
};

// Options for models with no options of their own beyond the common ones.
template <class M>
struct PlainModelOptions final : ModelOptions {
  std::string name;
  Activation act = Activation::Relu;
  std::string type() const override { return name; }
  void dump(YAML::Node&) const override {}
  std::shared_ptr<Model> build(const ModelContext& ctx) const override {
    return std::make_shared<M>(ctx);
  }
  Activation default_activation() const override { return act; }
};

template <class M>
ModelParser plain_parser(std::string name, Activation default_act = Activation::Relu) {
  return [name, default_act](config::Section&) -> std::shared_ptr<const ModelOptions> {
    auto o = std::make_shared<PlainModelOptions<M>>();
    o->name = name;
    o->act = default_act;
    return o;
  };
}

// Number of trainable parameters.
std::int64_t parameter_count(torch::nn::Module& m);

}  // namespace ax::models
