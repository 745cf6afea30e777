// Output deviation of a network on approximate hardware (AxTrain Fig. 6: "network output error
// normalised to the same network with accurate multipliers"; PAPERS.md G-49): per sample i,
//   d_i = ‖O_approx,i − O_exact,i‖₂ / ‖O_exact,i‖₂
// over all outputs of the sample (the model's forward output, flattened: logits for cross-entropy
// models, the sigmoid outputs of the AxTrain MLPs), where O_exact is the same weights with the
// float op (execution mode ideal) and O_approx the hardware's. Accumulated over batches in double
// precision; the mean over the samples is the reported figure. A sample whose exact output is all
// zero has no ratio: it is skipped and counted.
#pragma once
#include <cstdint>

#include <torch/types.h>

namespace ax::train {

// d_i per sample ([N], float64); NaN where ‖O_exact,i‖ = 0. Both tensors [N, ...], same shape.
torch::Tensor output_deviation(const torch::Tensor& approx, const torch::Tensor& exact);

struct OutputDeviationSum {
  double sum = 0;
  std::int64_t samples = 0;  // samples with a ratio
  std::int64_t skipped = 0;  // samples whose exact output is all zero
  void add(const torch::Tensor& approx, const torch::Tensor& exact);
  double mean() const;       // NaN when no sample has a ratio
};

}  // namespace ax::train
