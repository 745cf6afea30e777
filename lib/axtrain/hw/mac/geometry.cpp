#include "axtrain/hw/mac/geometry.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace ax::hw::mac {

Geometry geometry(at::IntArrayRef x, at::IntArrayRef w, const MacOp& op, const char* who) {
  Geometry g;
  if (op.kind == MacOp::Kind::Linear) {
    TORCH_CHECK(x.size() == 2 && w.size() == 2 && x[1] == w[1], who, " linear: bad shapes ", x, " and ", w);
    g.N = x[0];
    g.C = x[1];
    g.O = w[0];
    return g;
  }
  TORCH_CHECK(x.size() == 4 && w.size() == 4, who, " conv2d: expected NCHW input and OIHW weight, got ", x,
              " and ", w);
  g.conv = true;
  g.N = x[0];
  g.C = x[1];
  g.H = x[2];
  g.W = x[3];
  g.O = w[0];
  g.kh = w[2];
  g.kw = w[3];
  g.stride = op.stride;
  g.pad = op.padding;
  g.dil = op.dilation;
  g.groups = op.groups;
  TORCH_CHECK(g.groups > 0 && g.C % g.groups == 0 && g.O % g.groups == 0 && w[1] == g.C / g.groups, who,
              " conv2d: channels ", x, " / ", w, " do not match groups = ", g.groups);
  g.Hout = (g.H + 2 * g.pad - g.dil * (g.kh - 1) - 1) / g.stride + 1;
  g.Wout = (g.W + 2 * g.pad - g.dil * (g.kw - 1) - 1) / g.stride + 1;
  TORCH_CHECK(g.Hout > 0 && g.Wout > 0, who, " conv2d: empty output for input ", x, " and weight ", w);
  return g;
}

void save(torch::autograd::AutogradContext* ctx, const MacOp& op) {
  ctx->saved_data["mac.kind"] = static_cast<std::int64_t>(op.kind == MacOp::Kind::Linear ? 0 : 1);
  ctx->saved_data["mac.stride"] = op.stride;
  ctx->saved_data["mac.padding"] = op.padding;
  ctx->saved_data["mac.dilation"] = op.dilation;
  ctx->saved_data["mac.groups"] = op.groups;
}

MacOp load(torch::autograd::AutogradContext* ctx) {
  MacOp op;
  op.kind = ctx->saved_data["mac.kind"].toInt() == 0 ? MacOp::Kind::Linear : MacOp::Kind::Conv2d;
  op.stride = ctx->saved_data["mac.stride"].toInt();
  op.padding = ctx->saved_data["mac.padding"].toInt();
  op.dilation = ctx->saved_data["mac.dilation"].toInt();
  op.groups = ctx->saved_data["mac.groups"].toInt();
  return op;
}

namespace {
template <class A, class Y>
void scale_into(const A* a, Y* y, std::int64_t n, double scale) {
  at::parallel_for(0, n, 32768, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = static_cast<Y>(static_cast<double>(a[i]) * scale);
  });
}

template <class A>
torch::Tensor scale_from(const torch::Tensor& acc, double scale, torch::ScalarType dtype) {
  torch::Tensor y = torch::empty(acc.sizes(), acc.options().dtype(dtype));
  const A* a = acc.data_ptr<A>();
  if (dtype == torch::kFloat32) scale_into(a, y.data_ptr<float>(), acc.numel(), scale);
  else scale_into(a, y.data_ptr<double>(), acc.numel(), scale);
  return y;
}
}  // namespace

torch::Tensor scale_output(const torch::Tensor& acc_in, double scale, torch::ScalarType dtype, torch::Device device) {
  torch::Tensor acc = acc_in.contiguous();
  const bool fast = acc.device().is_cpu() && (dtype == torch::kFloat32 || dtype == torch::kFloat64) &&
                    (acc.scalar_type() == torch::kInt32 || acc.scalar_type() == torch::kInt64);
  torch::Tensor y;
  if (!fast) y = (acc.to(torch::kFloat64) * scale).to(dtype);
  else if (acc.scalar_type() == torch::kInt32) y = scale_from<std::int32_t>(acc, scale, dtype);
  else y = scale_from<std::int64_t>(acc, scale, dtype);
  return y.to(device);
}

}  // namespace ax::hw::mac
