// MacOp: the static shape of a layer's multiply-accumulate (linear or 2-d convolution).
#pragma once
#include <cstdint>

#include <torch/types.h>

namespace ax::hw {

struct MacOp {
  enum class Kind { Linear, Conv2d };
  Kind kind = Kind::Linear;
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;

  // The float op without bias: x [N, in] · w [out, in]ᵀ, or conv2d(x [N,C,H,W], w [O,C/g,k,k]).
  torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& w) const;
  // Number of products that are summed into one output element.
  std::int64_t fan_in(const torch::Tensor& w) const;
};

// How a layer computes, switched by the training phase.
enum class Mode {
  Ideal,   // the float op
  Exact,   // accurate emulation forward, proxy gradient: P(x) + sg(Y_hw(x) - P(x))
  Proxy,   // forward and backward through the proxy
  Inject,  // proxy + calibrated error model (fast-training phase)
};

const char* mode_name(Mode m);

// The gradient of an exact-mode layer (a phase option; AxTrain-pas, PAPERS.md §7.11 step 4):
//   Proxy     the hardware's activation proxy (default; Li et al.)
//   SteClip   straight-through the float op, output gradient elements with |g| ≥ 1 zeroed
//             (AxTrain Eq. 12 as printed: grad_in = grad_out · 1{|grad_out| < 1})
//   SteInput  straight-through the float op, gated on the op's input: ∂x · 1{|x| ≤ 1} (the
//             usual STE; PAPERS.md §10 G-45)
enum class ExactGradient { Proxy, SteClip, SteInput };

}  // namespace ax::hw
