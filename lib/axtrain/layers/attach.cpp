#include "axtrain/layers/attach.h"

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"

namespace ax::layers {

std::vector<NamedMacLayer> mac_layers(torch::nn::Module& model) {
  std::vector<NamedMacLayer> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (auto* l = dynamic_cast<MacLayerImpl*>(item.value().get())) out.push_back({item.key(), l});
  }
  return out;
}

void check_layer_names(torch::nn::Module& model, const hw::HardwareSpec& spec) {
  std::vector<std::string> names;
  for (const auto& l : mac_layers(model)) names.push_back(l.name);
  auto check = [&](const std::string& n, const char* what) {
    if (std::find(names.begin(), names.end(), n) == names.end())
      throw ConfigError(fmt::format("hardware.{}: '{}' is not a layer of this model{}; layers: {}", what,
                                    n, did_you_mean(n, names), join(names, ", ")));
  };
  for (const auto& e : spec.exclude) check(e, "exclude");
  for (const auto& [n, s] : spec.layers) check(n, "layers");
}

void attach_hardware(torch::nn::Module& model, const hw::HardwareSpec& spec, std::uint64_t seed) {
  check_layer_names(model, spec);
  auto layers = mac_layers(model);
  std::int64_t index = 0;
  for (const auto& l : layers) {
    hw::LayerInfo info{l.name, index++, fnv1a64(fmt::format("{}/{}", seed, l.name))};
    l.layer->set_hardware(spec.for_layer(l.name).make(info));
  }
}

void set_step(torch::nn::Module& model, std::uint64_t step) {
  for (const auto& l : mac_layers(model))
    l.layer->hardware().set_step(step);
}

void set_mode(torch::nn::Module& model, hw::Mode mode) {
  for (const auto& l : mac_layers(model)) l.layer->set_mode(mode);
}

}  // namespace ax::layers
