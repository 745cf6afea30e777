#include "axtrain/layers/mac_layer.h"

#include <cmath>

#include <ATen/core/grad_mode.h>

#include "axtrain/hw/ideal/ideal.h"

namespace ax::layers {

MacLayerImpl::MacLayerImpl(hw::MacOp op, std::vector<std::int64_t> weight_shape, bool with_bias)
    : op_(op) {
  weight = register_parameter("weight", torch::empty(weight_shape));
  std::int64_t fan_in = op_.fan_in(weight);
  // PyTorch's default initialisation of Linear/Conv2d: kaiming_uniform(a = sqrt(5)), i.e.
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
  double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  {
    torch::NoGradGuard g;
    weight.uniform_(-bound, bound);
  }
  if (with_bias) {
    bias = register_parameter("bias", torch::empty({weight_shape[0]}));
    torch::NoGradGuard g;
    bias.uniform_(-bound, bound);
  }
  set_hardware(hw::IdealOptions().make({}));
}

void MacLayerImpl::set_hardware(std::shared_ptr<hw::LayerHardware> hw) {
  if (hw_) hw_ = replace_module("hw", std::move(hw));
  else hw_ = register_module("hw", std::move(hw));
}

torch::Tensor MacLayerImpl::forward(const torch::Tensor& x) {
  torch::Tensor w = hw_->read_weight(weight, mode_);
  torch::Tensor y = hw_->forward(x, w, op_, mode_);
  if (approx_mask_.defined() && mode_ != hw::Mode::Ideal) {
    std::vector<std::int64_t> shape(static_cast<std::size_t>(y.dim()), 1);
    shape[1] = -1;
    y = torch::where(approx_mask_.to(y.device()).view(shape), y, op_.apply(x, w));
  }
  if (observer_) observer_(y);
  if (sample_tap_ && at::GradMode::is_enabled() && y.requires_grad()) sample_tap_(x, y);
  if (bias.defined()) {
    if (op_.kind == hw::MacOp::Kind::Conv2d) y = y + bias.view({1, -1, 1, 1});
    else y = y + bias;
  }
  return y;
}

ApproxLinearImpl::ApproxLinearImpl(const LinearSpec& s)
    : MacLayerImpl(hw::MacOp{hw::MacOp::Kind::Linear}, {s.out, s.in}, s.bias) {}

ApproxConv2dImpl::ApproxConv2dImpl(const Conv2dSpec& s)
    : MacLayerImpl(hw::MacOp{hw::MacOp::Kind::Conv2d, s.stride, s.padding, 1, s.groups},
                   {s.out, s.in / s.groups, s.kernel, s.kernel}, s.bias) {}

}  // namespace ax::layers
