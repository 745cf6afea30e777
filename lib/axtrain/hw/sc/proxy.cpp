#include "axtrain/hw/sc/proxy.h"

#include <torch/autograd.h>

#include "axtrain/hw/quant.h"

namespace ax::hw::sc {

namespace {
struct Params {
  MacOp op;
  double s_a = 1.0, s_w = 1.0;
  int length = 32;
  bool split = false, quantized = true;
};

// A non-negative operand as the streams see it: levels 0 .. hi_level on a grid of `step`.
torch::Tensor operand(const torch::Tensor& t, double step, double hi_level, bool quantized) {
  if (quantized) return fake_quant(t, QuantParams{step, 0, static_cast<std::int64_t>(hi_level)});
  return torch::clamp_max(t, hi_level * step);
}

// Positive and negative parts: every element's gradient goes to exactly one of them.
torch::Tensor pos_part(const torch::Tensor& t) { return torch::clamp_min(t, 0.0); }
torch::Tensor neg_part(const torch::Tensor& t) { return torch::relu(-t); }

// (op(a, b1), op(a, b2)) with one call when the op allows stacking the weights.
std::pair<torch::Tensor, torch::Tensor> apply_two(const MacOp& op, const torch::Tensor& a,
                                                  const torch::Tensor& b1, const torch::Tensor& b2) {
  if (op.groups == 1) {
    auto parts = op.apply(a, torch::cat({b1, b2}, 0)).chunk(2, 1);
    return {parts[0], parts[1]};
  }
  return {op.apply(a, b1), op.apply(a, b2)};
}

torch::Tensor sc_act_value(const torch::Tensor& x, const torch::Tensor& w, const Params& p) {
  const double l = static_cast<double>(p.length);
  torch::Tensor xp = operand(pos_part(x), p.s_a, l, p.quantized);
  torch::Tensor wp = operand(pos_part(w), p.s_w, l - 1.0, p.quantized);
  torch::Tensor wn = operand(neg_part(w), p.s_w, l - 1.0, p.quantized);
  auto [sum_pos, sum_neg] = apply_two(p.op, xp, wp, wn);
  if (p.split) {
    torch::Tensor xn = operand(neg_part(x), p.s_a, l, p.quantized);
    auto [nn, np] = apply_two(p.op, xn, wn, wp);
    sum_pos = sum_pos + nn;
    sum_neg = sum_neg + np;
  }
  const double c = p.s_a * p.s_w * l * l;
  // c · [(1 − e^(−X⁺/c)) − (1 − e^(−X⁻/c))]
  return (torch::exp(sum_neg * (-1.0 / c)) - torch::exp(sum_pos * (-1.0 / c))) * c;
}

class ScActFunction : public torch::autograd::Function<ScActFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, const Params& p) {
    ctx->save_for_backward({x, w});
    auto& d = ctx->saved_data;
    d["kind"] = static_cast<std::int64_t>(p.op.kind);
    d["stride"] = p.op.stride;
    d["padding"] = p.op.padding;
    d["dilation"] = p.op.dilation;
    d["groups"] = p.op.groups;
    d["s_a"] = p.s_a;
    d["s_w"] = p.s_w;
    d["length"] = static_cast<std::int64_t>(p.length);
    d["split"] = p.split;
    d["quantized"] = p.quantized;
    d["x_grad"] = x.requires_grad();
    d["w_grad"] = w.requires_grad();
    torch::NoGradGuard g;
    return sc_act_value(x, w, p);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto& d = ctx->saved_data;
    Params p;
    p.op.kind = static_cast<MacOp::Kind>(d["kind"].toInt());
    p.op.stride = d["stride"].toInt();
    p.op.padding = d["padding"].toInt();
    p.op.dilation = d["dilation"].toInt();
    p.op.groups = d["groups"].toInt();
    p.s_a = d["s_a"].toDouble();
    p.s_w = d["s_w"].toDouble();
    p.length = static_cast<int>(d["length"].toInt());
    p.split = d["split"].toBool();
    p.quantized = d["quantized"].toBool();
    const bool need_x = d["x_grad"].toBool(), need_w = d["w_grad"].toBool();
    auto saved = ctx->get_saved_variables();
    torch::Tensor x = saved[0].detach().requires_grad_(need_x);
    torch::Tensor w = saved[1].detach().requires_grad_(need_w);
    torch::Tensor gx, gw;
    if (need_x || need_w) {
      torch::AutoGradMode on(true);
      torch::Tensor y = sc_act_value(x, w, p);  // recomputed: nothing but x and W was kept
      std::vector<torch::Tensor> inputs;
      if (need_x) inputs.push_back(x);
      if (need_w) inputs.push_back(w);
      auto g = torch::autograd::grad({y}, inputs, {grad[0]});
      if (need_x) gx = g[0];
      if (need_w) gw = g[need_x ? 1 : 0];
    }
    return {gx, gw, torch::Tensor()};
  }
};
}  // namespace

torch::Tensor sc_proxy(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                       const torch::Tensor& w, const MacOp& op) {
  const double l = static_cast<double>(o.stream_length);
  const bool quantized = o.proxy_quantized;
  if (o.encoding == Encoding::Bipolar) {
    auto operand_b = [&](const torch::Tensor& t, double step) {
      if (!quantized) return torch::clamp(t, -l * step, l * step);
      torch::Tensor v = (bipolar_levels(t.detach(), step, o.stream_length) * 2.0 - l) * step;
      return t + (v - t.detach());
    };
    return op.apply(operand_b(x, s.input), operand_b(w, s.weight));
  }
  if (o.proxy == ProxyKind::ScAct) {
    Params p{op, s.input, s.weight, o.stream_length, s.split, quantized};
    return ScActFunction::apply(x, w, p);
  }
  torch::Tensor xq = operand(pos_part(x), s.input, l, quantized);
  if (s.split) xq = xq - operand(neg_part(x), s.input, l, quantized);
  torch::Tensor wq = operand(pos_part(w), s.weight, l - 1.0, quantized) -
                     operand(neg_part(w), s.weight, l - 1.0, quantized);
  return op.apply(xq, wq);
}

}  // namespace ax::hw::sc
