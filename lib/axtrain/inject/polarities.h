// A layer's output split into its two polarities, for type-1 error injection (error_model.h).
#pragma once
#include <torch/types.h>

namespace ax::inject {

// output = scale · (pos − neg), pos and neg ≥ 0 (SC: unipolar stream values; AM: split sums).
struct Polarities {
  torch::Tensor pos, neg;
  double scale = 1.0;
  // > 0: type-1 bins [k·w, (k + 1)·w) from 0 (SC: 0.1); 0: `bins` equal-width over [0, max u].
  double bin_width = 0.0;
};

}  // namespace ax::inject
