// HardwareSpec: the whole model's hardware, parsed from the `hardware:` mapping of a run config.
//
//   hardware: configs/hw/drum_k4.yaml              # a preset file (its top-level `hardware:`)
//   hardware: {preset: configs/hw/sc32.yaml, stream_length: 64}   # a preset plus overrides
//   hardware:                                       # or inline
//     type: approx_mul
//     storage: {type: ntv, flip_rate: 0.01}         # storage faults compose with the arithmetic
//     exclude: [conv1, fc]                          # these layers stay ideal (float)
//     layers: {conv3: {adc_bits: 6}}                # per-layer overrides (a `type:` replaces all)
#pragma once
#include "axtrain/core/option_row.h"
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axtrain/hw/hardware.h"

namespace ax::config {
class Section;
}

namespace ax::hw {

// The hardware of one layer: arithmetic plus optional storage.
struct LayerHwSpec {
  std::shared_ptr<const HardwareOptions> arithmetic;
  std::shared_ptr<const StorageOptions> storage;

  std::shared_ptr<LayerHardware> make(const LayerInfo& layer) const;
  YAML::Node dump() const;
  std::string type() const { return arithmetic ? arithmetic->type() : "ideal"; }
  CostKeys cost_keys() const;
  // Reads `type`, the type's own keys and `storage`; the caller finishes the section.
  static LayerHwSpec parse(config::Section& s);
};

struct HardwareSpec {
  // The keys of `hardware:` itself (each type's own keys: hardware_registry().keys(type)).
  static std::vector<OptionRow> keys();
  std::string preset;  // preset file as opened: relative to the config's folder resolved ("" if inline)
  LayerHwSpec base;
  std::vector<std::string> exclude;
  std::vector<std::pair<std::string, LayerHwSpec>> layers;  // overrides by layer name

  // The spec for a layer: an override, ideal when excluded, else base.
  const LayerHwSpec& for_layer(const std::string& name) const;
  bool is_ideal() const;
  YAML::Node dump() const;
  // Parses the `hardware` key of the run config's root section (scalar preset path or mapping).
  static HardwareSpec parse_from(config::Section& root, const std::string& config_file);
  static HardwareSpec parse(config::Section& hardware);
  static HardwareSpec ideal();
};

}  // namespace ax::hw
