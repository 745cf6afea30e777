#include "axtrain/hw/spec.h"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"
#include "axtrain/hw/ideal/ideal.h"

namespace ax::hw {

std::shared_ptr<LayerHardware> LayerHwSpec::make(const LayerInfo& layer) const {
  std::shared_ptr<LayerHardware> hw =
      arithmetic ? arithmetic->make(layer) : IdealOptions().make(layer);
  if (storage) hw->set_storage(storage->make(layer));
  hw->set_draw_key(layer.seed);
  return hw;
}

CostKeys LayerHwSpec::cost_keys() const {
  CostKeys k;
  if (arithmetic) arithmetic->describe_cost(k);
  if (storage) storage->describe_cost(k);
  return k;
}

YAML::Node LayerHwSpec::dump() const {
  YAML::Node n;
  n["type"] = type();
  if (arithmetic) arithmetic->dump(n);
  if (storage) {
    YAML::Node s;
    s["type"] = storage->type();
    storage->dump(s);
    n["storage"] = s;
  }
  return n;
}

LayerHwSpec LayerHwSpec::parse(config::Section& s) {
  register_all();
  LayerHwSpec spec;
  std::string type = s.require_string("type");
  spec.arithmetic = hardware_registry().get(type, s.where("type"))(s);
  if (s.has("storage")) {
    config::Section st = s.section("storage");
    std::string stype = st.require_string("type");
    spec.storage = storage_registry().get(stype, st.where("type"))(st);
    st.finish();
  } else {
    s.mark("storage");
  }
  return spec;
}

const LayerHwSpec& HardwareSpec::for_layer(const std::string& name) const {
  for (const auto& [layer, spec] : layers)
    if (layer == name) return spec;
  static const LayerHwSpec ideal_spec{std::make_shared<IdealOptions>(), nullptr};
  for (const auto& e : exclude)
    if (e == name) return ideal_spec;
  return base;
}

bool HardwareSpec::is_ideal() const {
  if (base.type() != "ideal" || base.storage) return false;
  for (const auto& [n, s] : layers)
    if (s.type() != "ideal" || s.storage) return false;
  return true;
}

YAML::Node HardwareSpec::dump() const {
  YAML::Node n = base.dump();
  if (!preset.empty()) n["preset"] = preset;
  if (!exclude.empty()) {
    YAML::Node ex(YAML::NodeType::Sequence);
    for (const auto& e : exclude) ex.push_back(e);
    ex.SetStyle(YAML::EmitterStyle::Flow);
    n["exclude"] = ex;
  }
  if (!layers.empty()) {
    YAML::Node ls;
    for (const auto& [name, spec] : layers) ls[name] = spec.dump();
    n["layers"] = ls;
  }
  return n;
}

HardwareSpec HardwareSpec::ideal() {
  HardwareSpec h;
  h.base.arithmetic = std::make_shared<IdealOptions>();
  return h;
}

std::vector<OptionRow> HardwareSpec::keys() {
  return {{"type", "name", "axtrain list hardware", "ideal",
           "arithmetic model; its own keys: docs/hardware/<type>.md (hardware.md for ideal)"},
          {"preset", "path", "", "none", "a preset file whose `hardware:` mapping the other keys override"},
          {"storage", "{type: ntv, ...}", "", "none", "storage faults on the weights, composed with any arithmetic"},
          {"exclude", "list of layer names", "", "[]", "layers kept ideal (float), e.g. [conv1, fc]"},
          {"layers", "mapping", "", "{}",
           "per-layer overrides by layer name: {conv3: {adc_bits: 6}} changes keys of the base model for that "
           "layer; an override with its own type: replaces the base"}};
}

HardwareSpec HardwareSpec::parse(config::Section& hs) {
  HardwareSpec h;
  h.base = LayerHwSpec::parse(hs);
  h.exclude = hs.get_string_list("exclude", {});
  config::Section ls = hs.section("layers");
  for (const std::string& name : ls.keys()) {
    const config::Section::Layer* top = ls.top_layer_with(name);
    YAML::Node node = ls.raw(name);
    if (!node.IsMap())
      ls.fail(name, "expected a mapping of hardware options for this layer, e.g. {type: ideal}");
    std::vector<config::Section::Layer> layers;
    if (!node["type"].IsDefined()) layers = hs.layers();  // inherit the base, override some keys
    layers.push_back({node, top->file});
    config::Section one(std::move(layers), ls.key_path(name));
    for (const char* k : {"layers", "exclude", "preset"}) one.mark(k);
    LayerHwSpec spec = LayerHwSpec::parse(one);
    one.finish();
    h.layers.emplace_back(name, std::move(spec));
  }
  hs.mark("preset");
  return h;
}

HardwareSpec HardwareSpec::parse_from(config::Section& root, const std::string& config_file) {
  const config::Section::Layer* top = root.top_layer_with("hardware");
  YAML::Node raw = root.raw("hardware");
  if (!top) return ideal();
  std::vector<config::Section::Layer> layers;
  std::string preset;
  YAML::Node preset_node;
  if (raw.IsScalar()) {
    preset = raw.Scalar();
    preset_node = raw;
  } else if (raw.IsMap()) {
    if (raw["preset"].IsDefined()) {
      preset_node = raw["preset"];
      preset = preset_node.Scalar();
    }
  } else {
    root.fail("hardware", "expected a preset file name or a mapping with `type:`");
  }
  if (!preset.empty()) {
    std::string where = config::mark_text(preset_node, top->file) + ": hardware";
    std::string path = config::resolve_config_path(expand_env(preset, where), top->file);
    YAML::Node doc = config::load_yaml_file(path, where);
    if (!doc.IsMap() || !doc["hardware"].IsMap())
      throw ConfigError(fmt::format("{}: preset file {} has no top-level `hardware:` mapping",
                                    where, path));
    layers.push_back({doc["hardware"], path});
    // the file as opened, so a dumped config (a run's config.yaml) finds it again from anywhere
    // the original could be loaded from ("hw/sc32.yaml" beside configs/x.yaml → configs/hw/sc32.yaml)
    preset = boost::filesystem::path(path).lexically_normal().string();
  }
  if (raw.IsMap()) layers.push_back({raw, top->file});
  config::Section hs(std::move(layers), "hardware");
  HardwareSpec h = parse(hs);
  h.preset = preset;
  hs.finish();
  return h;
}

}  // namespace ax::hw
