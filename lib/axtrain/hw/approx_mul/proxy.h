// The approx_mul proxy (PAPERS.md §7.2, AM row): the exact float op on the fake-quantised operands,
// with straight-through gradients to x and w. A custom autograd function that saves only x and w
// and re-quantises in backward (gradient checkpointing of the quantised copies, §7.9): the
// quantised operands are never kept alive between forward and backward.
#pragma once
#include <torch/types.h>

#include "axtrain/hw/mac_op.h"
#include "axtrain/hw/quant.h"

namespace ax::hw::amul {

torch::Tensor quantized_mac(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op,
                            const QuantParams& qx, const QuantParams& qw);

}  // namespace ax::hw::amul
