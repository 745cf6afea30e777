#include "axtrain/models/model.h"

#include "axtrain/config/options.h"
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

const config::Options<ModelSpec>& ModelSpec::declaration() {
  using M = ModelSpec;
  static const auto o =
      config::Options<M>("model")
          .custom(
              "type",
              [](config::Section& s, M& m) {
                m.type = s.require_string("type");
                m.options = model_registry().get(m.type, s.where("type"))(s);
              },
              [](const M& m, YAML::Node& n) {
                n["type"] = m.type;
                m.options->dump(n);  // the type's own keys follow `type`
              },
              {OptionRow{"type", "name", "axtrain list models", "required",
                         "architecture (layer tables in PAPERS.md §8; input shape and classes come from the data); "
                         "its own keys: model[type: NAME] below"}})
          .choice<Activation>("activation", [](M& m) -> Activation& { return m.activation; },
                              {{"relu", Activation::Relu}, {"hardtanh01", Activation::HardTanh01}},
                              "hidden activation; hardtanh01 = clamp to [0, 1] (keeps SC and analog inputs in range)")
          .default_from([](M& m) { m.activation = m.options->default_activation(); })
          .choice<Output>("output", [](M& m) -> Output& { return m.output; },
                          {{"logits", Output::Logits}, {"sigmoid", Output::Sigmoid}},
                          "sigmoid outputs pair with loss.type: mse (AxTrain's MLPs)");
  return o;
}

ModelSpec ModelSpec::parse(config::Section& s) {
  register_all();
  ModelSpec m;
  declaration().parse(s, m);
  return m;
}

YAML::Node ModelSpec::dump() const {
  YAML::Node n;
  declaration().dump(*this, n);
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
