#include "axtrain/layers/batch_norm.h"

#include <torch/autograd.h>

#include "axtrain/dist/comm.h"

namespace ax::layers {

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Dimensions reduced per channel (all but dim 1) and the shape that broadcasts a per-channel
// vector against x.
std::vector<std::int64_t> reduced_dims(const torch::Tensor& x) {
  std::vector<std::int64_t> d{0};
  for (std::int64_t i = 2; i < x.dim(); ++i) d.push_back(i);
  return d;
}
std::vector<std::int64_t> channel_shape(const torch::Tensor& x) {
  std::vector<std::int64_t> s(static_cast<std::size_t>(x.dim()), 1);
  s[1] = x.size(1);
  return s;
}

struct SyncBatchNorm : public torch::autograd::Function<SyncBatchNorm> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                               torch::Tensor running_mean, torch::Tensor running_var, torch::Tensor batches,
                               double momentum, double eps) {
    dist::Comm& comm = *dist::current();
    const auto dims = reduced_dims(x);
    const auto shape = channel_shape(x);
    const std::int64_t c = x.size(1);
    // Per channel, in double: Σx, Σx², and the count, summed over the ranks.
    torch::Tensor xd = x.to(torch::kFloat64);
    std::vector<torch::Tensor> stats{torch::cat({xd.sum(dims), (xd * xd).sum(dims),
                                                 torch::full({1}, static_cast<double>(x.numel() / c), torch::kFloat64)})};
    comm.all_reduce_sum(stats);
    const double n = stats[0][2 * c].item<double>();
    torch::Tensor mean = stats[0].narrow(0, 0, c) / n;
    torch::Tensor var = (stats[0].narrow(0, c, c) / n - mean * mean).clamp_min(0.0);  // biased, as BN normalises
    torch::Tensor invstd = (var + eps).rsqrt();
    {
      torch::NoGradGuard g;
      running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
      running_var.mul_(1 - momentum).add_((var * (n / std::max(n - 1, 1.0))).to(running_var.scalar_type()), momentum);
      batches.add_(1);
    }
    torch::Tensor xhat = ((xd - mean.view(shape)) * invstd.view(shape)).to(x.scalar_type());
    torch::Tensor istd = invstd.to(x.scalar_type());
    ctx->save_for_backward({xhat, istd, weight});
    ctx->saved_data["n"] = n;
    ctx->saved_data["bias"] = bias.defined();
    torch::Tensor y = xhat;
    if (weight.defined()) y = y * weight.view(shape);
    if (bias.defined()) y = y + bias.view(shape);
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    dist::Comm& comm = *dist::current();
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& xhat = saved[0];
    const torch::Tensor& istd = saved[1];
    const torch::Tensor& weight = saved[2];
    const double n = ctx->saved_data["n"].toDouble();
    const torch::Tensor dy = grads[0];
    const auto dims = reduced_dims(xhat);
    const auto shape = channel_shape(xhat);
    const std::int64_t c = xhat.size(1);
    // Local sums give the weight and bias gradients; their all-reduced sums the input's.
    torch::Tensor sum_dy = dy.sum(dims), sum_dy_xhat = (dy * xhat).sum(dims);
    std::vector<torch::Tensor> t{torch::cat({sum_dy, sum_dy_xhat}).to(torch::kFloat64)};
    comm.all_reduce_sum(t);
    torch::Tensor g_dy = t[0].narrow(0, 0, c).to(dy.scalar_type()), g_dy_xhat = t[0].narrow(0, c, c).to(dy.scalar_type());
    torch::Tensor scale = weight.defined() ? weight * istd : istd;
    torch::Tensor dx = scale.view(shape) * (dy - g_dy.view(shape) / n - xhat * (g_dy_xhat.view(shape) / n));
    const bool has_bias = ctx->saved_data["bias"].toBool();
    return {dx, weight.defined() ? sum_dy_xhat : torch::Tensor(), has_bias ? sum_dy : torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};
}  // namespace

bool sync_batch_norm_active() { return dist::sync_batchnorm(); }

torch::Tensor sync_batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              torch::Tensor running_mean, torch::Tensor running_var, torch::Tensor batches,
                              double momentum, double eps) {
  return SyncBatchNorm::apply(x, weight, bias, running_mean, running_var, batches, momentum, eps);
}

}  // namespace ax::layers
