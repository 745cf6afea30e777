#include "axtrain/models/model.h"

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"

namespace ax::models {

torch::Tensor activate(Activation a, const torch::Tensor& x) {
  return a == Activation::Relu ? torch::relu(x) : torch::clamp(x, 0.0, 1.0);
}

Registry<ModelParser>& model_registry() {
  static Registry<ModelParser> r("model type");
  return r;
}

ModelSpec ModelSpec::parse(config::Section& s) {
  register_all();
  ModelSpec m;
  m.type = s.require_string("type");
  m.options = model_registry().get(m.type, s.where("type"))(s);
  m.activation = s.get_choice<Activation>(
      "activation", m.options->default_activation(),
      {{"relu", Activation::Relu}, {"hardtanh01", Activation::HardTanh01}});
  m.output = s.get_choice<Output>("output", Output::Logits,
                                  {{"logits", Output::Logits}, {"sigmoid", Output::Sigmoid}});
  return m;
}

YAML::Node ModelSpec::dump() const {
  YAML::Node n;
  n["type"] = type;
  options->dump(n);
  n["activation"] = activation == Activation::Relu ? "relu" : "hardtanh01";
  n["output"] = output == Output::Logits ? "logits" : "sigmoid";
  return n;
}

std::shared_ptr<Model> ModelSpec::build(const std::vector<std::int64_t>& input_shape,
                                        std::int64_t num_classes) const {
  return options->build(ModelContext{input_shape, num_classes, activation, output});
}

std::int64_t parameter_count(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace ax::models
