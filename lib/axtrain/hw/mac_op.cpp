#include "axtrain/hw/mac_op.h"

#include <torch/nn/functional.h>

namespace ax::hw {

torch::Tensor MacOp::apply(const torch::Tensor& x, const torch::Tensor& w) const {
  if (kind == Kind::Linear) return torch::matmul(x, w.t());
  return torch::conv2d(x, w, {}, stride, padding, dilation, groups);
}

std::int64_t MacOp::fan_in(const torch::Tensor& w) const {
  std::int64_t n = 1;
  for (std::int64_t d = 1; d < w.dim(); ++d) n *= w.size(d);
  return n;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Ideal: return "ideal";
    case Mode::Exact: return "exact";
    case Mode::Proxy: return "proxy";
    case Mode::Inject: return "inject";
  }
  return "?";
}

}  // namespace ax::hw
