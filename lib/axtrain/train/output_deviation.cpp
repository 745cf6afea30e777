#include "axtrain/train/output_deviation.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "axtrain/core/errors.h"

namespace ax::train {

torch::Tensor output_deviation(const torch::Tensor& approx, const torch::Tensor& exact) {
  if (approx.sizes() != exact.sizes() || approx.dim() < 1)
    throw Error(fmt::format("output_deviation: shapes differ or are empty ([{}] vs [{}])", fmt::join(approx.sizes(), ", "),
                            fmt::join(exact.sizes(), ", ")));
  const std::int64_t n = approx.size(0);
  torch::Tensor a = approx.detach().to(torch::kCPU, torch::kFloat64).reshape({n, -1});
  torch::Tensor e = exact.detach().to(torch::kCPU, torch::kFloat64).reshape({n, -1});
  torch::Tensor num = (a - e).pow(2).sum(1).sqrt(), den = e.pow(2).sum(1).sqrt();
  return torch::where(den > 0, num / den, torch::full_like(den, std::numeric_limits<double>::quiet_NaN()));
}

void OutputDeviationSum::add(const torch::Tensor& approx, const torch::Tensor& exact) {
  torch::Tensor d = output_deviation(approx, exact);
  // Only a sample whose exact output is all zero is skipped; a non-finite approximate output gives
  // a NaN that is kept (it poisons the mean, as it poisons the loss).
  torch::Tensor zero = exact.detach().to(torch::kCPU, torch::kFloat64).reshape({exact.size(0), -1}).abs().sum(1).eq(0);
  torch::Tensor kept = ~zero;
  const std::int64_t k = kept.sum().item<std::int64_t>();
  skipped += d.size(0) - k;
  samples += k;
  if (k > 0) sum += d.masked_select(kept).sum().item<double>();
}

double OutputDeviationSum::mean() const {
  return samples > 0 ? sum / static_cast<double>(samples) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ax::train
