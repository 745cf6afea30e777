// ApproxLinear / ApproxConv2d: the only layers whose multiply-accumulates run on the configured
// hardware. Models are built from them, so every hardware model applies to every model of the zoo
// without touching the models. Each layer owns one LayerHardware (submodule "hw") and a mode.
#pragma once
#include <cstdint>
#include <functional>
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

  // Per-output-neuron choice of arithmetic (ApproxANN, PAPERS.md §7.12): a bool tensor [out]; true
  // = the neuron's products run on the hardware, false = on the accurate float op (same stored
  // weight). Undefined (the default) = every neuron on the hardware. Ignored in ideal mode.
  void set_approx_mask(torch::Tensor mask) { approx_mask_ = std::move(mask); }
  const torch::Tensor& approx_mask() const { return approx_mask_; }
  // Called with every forward's output (before bias), e.g. to register a gradient hook on it.
  void set_output_observer(std::function<void(const torch::Tensor&)> f) { observer_ = std::move(f); }
  // Called with the input and the output (before bias) of every forward that records gradients
  // (grad mode on, output requiring grad); per-sample training steps (train/sc_gdm.h) keep x and
  // hook the output's gradient δ. A slot of its own, so evaluation observers do not displace it.
  void set_sample_tap(std::function<void(const torch::Tensor& x, const torch::Tensor& y)> f) {
    sample_tap_ = std::move(f);
  }

  torch::Tensor weight, bias;  // bias undefined when the layer has none

 protected:
  MacLayerImpl(hw::MacOp op, std::vector<std::int64_t> weight_shape, bool with_bias);

 private:
  hw::MacOp op_;
  std::shared_ptr<hw::LayerHardware> hw_;
  hw::Mode mode_ = hw::Mode::Ideal;
  torch::Tensor approx_mask_;
  std::function<void(const torch::Tensor&)> observer_;
  std::function<void(const torch::Tensor&, const torch::Tensor&)> sample_tap_;
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
