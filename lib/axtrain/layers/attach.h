// Walking a model's MAC layers: attaching hardware, switching modes, listing names.
#pragma once
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "axtrain/hw/spec.h"
#include "axtrain/layers/mac_layer.h"

namespace ax::layers {

struct NamedMacLayer {
  std::string name;
  MacLayerImpl* layer;
};

// All ApproxLinear/ApproxConv2d layers in module order, with their dotted names.
std::vector<NamedMacLayer> mac_layers(torch::nn::Module& model);
// Gives every MAC layer its hardware from spec (per-layer overrides and exclusions applied), with
// the key of its random draws derived from (seed, layer name).
// Throws ConfigError when an override or exclusion names no layer of the model.
void attach_hardware(torch::nn::Module& model, const hw::HardwareSpec& spec, std::uint64_t seed);
// The check of attach_hardware alone: ConfigError when hardware.exclude or hardware.layers names
// no MAC layer of the model (used by `validate`, which builds the model without the data).
void check_layer_names(torch::nn::Module& model, const hw::HardwareSpec& spec);
void set_mode(torch::nn::Module& model, hw::Mode mode);
// The step of every layer's random draws (hw::LayerHardware::set_step; train/steps.h names them).
void set_step(torch::nn::Module& model, std::uint64_t step);

}  // namespace ax::layers
