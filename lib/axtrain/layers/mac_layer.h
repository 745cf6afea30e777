// ApproxLinear / ApproxConv2d: the only layers whose multiply-accumulates run on the configured
// hardware. Models are built from them, so every hardware model applies to every model of the zoo
// without touching the models. Each layer owns one LayerHardware (submodule "hw") and a mode.
#pragma once
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "axtrain/hw/hardware.h"

namespace ax::layers {

class MacLayerImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x);

  void set_hardware(std::shared_ptr<hw::LayerHardware> hw);
  hw::LayerHardware& hardware() { return *hw_; }
  void set_mode(hw::Mode m) { mode_ = m; }
  hw::Mode mode() const { return mode_; }
  const hw::MacOp& op() const { return op_; }

  torch::Tensor weight, bias;  // bias undefined when the layer has none

 protected:
  MacLayerImpl(hw::MacOp op, std::vector<std::int64_t> weight_shape, bool with_bias);

 private:
  hw::MacOp op_;
  std::shared_ptr<hw::LayerHardware> hw_;
  hw::Mode mode_ = hw::Mode::Ideal;
};

struct LinearSpec {
  std::int64_t in = 0, out = 0;
  bool bias = true;
};

class ApproxLinearImpl : public MacLayerImpl {
 public:
  explicit ApproxLinearImpl(const LinearSpec& s);
};
TORCH_MODULE(ApproxLinear);

struct Conv2dSpec {
  std::int64_t in = 0, out = 0, kernel = 3, stride = 1, padding = 0, groups = 1;
  bool bias = false;
};

class ApproxConv2dImpl : public MacLayerImpl {
 public:
  explicit ApproxConv2dImpl(const Conv2dSpec& s);
};
TORCH_MODULE(ApproxConv2d);

}  // namespace ax::layers
