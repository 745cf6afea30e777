#include "axtrain/hw/approx_mul/proxy.h"

#include <torch/autograd.h>

#include "axtrain/hw/mac/geometry.h"

namespace ax::hw::amul {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

QuantParams quant_from(AutogradContext* ctx, const std::string& p) {
  QuantParams q;
  q.scale = ctx->saved_data[p + "scale"].toDouble();
  q.lo = ctx->saved_data[p + "lo"].toInt();
  q.hi = ctx->saved_data[p + "hi"].toInt();
  return q;
}

void save_quant(AutogradContext* ctx, const std::string& p, const QuantParams& q) {
  ctx->saved_data[p + "scale"] = q.scale;
  ctx->saved_data[p + "lo"] = q.lo;
  ctx->saved_data[p + "hi"] = q.hi;
}

torch::Tensor dequantized(const torch::Tensor& t, const QuantParams& q) { return quantize_codes(t, q) * q.scale; }

struct QuantizedMac : torch::autograd::Function<QuantizedMac> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w, MacOp op,
                               QuantParams qx, QuantParams qw) {
    ctx->save_for_backward({x, w});
    mac::save(ctx, op);
    save_quant(ctx, "x", qx);
    save_quant(ctx, "w", qw);
    return op.apply(dequantized(x, qx), dequantized(w, qw));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const MacOp op = mac::load(ctx);
    const bool need_x = ctx->needs_input_grad(0), need_w = ctx->needs_input_grad(1);
    torch::Tensor xq, wq;
    {
      torch::NoGradGuard g;
      xq = dequantized(saved[0], quant_from(ctx, "x"));
      wq = dequantized(saved[1], quant_from(ctx, "w"));
    }
    std::vector<torch::Tensor> inputs;
    if (need_x) inputs.push_back(xq.requires_grad_(true));
    if (need_w) inputs.push_back(wq.requires_grad_(true));
    torch::Tensor gx, gw;
    if (!inputs.empty()) {
      torch::AutoGradMode on(true);
      torch::Tensor y = op.apply(xq, wq);
      auto g = torch::autograd::grad({y}, inputs, {grads[0]});
      std::size_t i = 0;
      if (need_x) gx = g[i++];
      if (need_w) gw = g[i++];
    }
    return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor quantized_mac(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op,
                            const QuantParams& qx, const QuantParams& qw) {
  return QuantizedMac::apply(x, w, op, qx, qw);
}

}  // namespace ax::hw::amul
