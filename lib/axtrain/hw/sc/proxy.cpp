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

// The split sums X⁺, X⁻ of the proxy (ordinary autograd: the convolutions keep only their
// inputs, which the layer holds anyway).
std::pair<torch::Tensor, torch::Tensor> split_sums(const torch::Tensor& x, const torch::Tensor& w, const Params& p) {
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
  return {sum_pos, sum_neg};
}

// The point-wise part of SC_act, c · [(1 − e^(−X⁺/c)) − (1 − e^(−X⁻/c))], as one custom function
// that saves only its inputs X± and recomputes the exponentials in backward (the gradient
// checkpointing of Li et al. §3.4 for the added point-wise nodes).
class ScActPointwise : public torch::autograd::Function<ScActPointwise> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& pos,
                               const torch::Tensor& neg, double c) {
    ctx->save_for_backward({pos, neg});
    ctx->saved_data["c"] = c;
    return (torch::exp(neg * (-1.0 / c)) - torch::exp(pos * (-1.0 / c))) * c;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto saved = ctx->get_saved_variables();
    const double c = ctx->saved_data["c"].toDouble();
    const torch::Tensor& g = grad[0];
    return {g * torch::exp(saved[0] * (-1.0 / c)), -g * torch::exp(saved[1] * (-1.0 / c)), torch::Tensor()};
  }
};

// One polarity in probability units, 1 − e^(−X/c), saving only X (per-polarity injection).
class ScActOne : public torch::autograd::Function<ScActOne> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double c) {
    ctx->save_for_backward({x});
    ctx->saved_data["c"] = c;
    return 1.0 - torch::exp(x * (-1.0 / c));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const double c = ctx->saved_data["c"].toDouble();
    return {grad[0] * torch::exp(ctx->get_saved_variables()[0] * (-1.0 / c)) * (1.0 / c), torch::Tensor()};
  }
};

torch::Tensor sc_act_one(const torch::Tensor& x, double c, bool checkpoint) {
  if (checkpoint) return ScActOne::apply(x, c);
  return 1.0 - torch::exp(x * (-1.0 / c));
}

torch::Tensor sc_act_pointwise(const torch::Tensor& pos, const torch::Tensor& neg, double c, bool checkpoint) {
  if (checkpoint) return ScActPointwise::apply(pos, neg, c);
  return (torch::exp(neg * (-1.0 / c)) - torch::exp(pos * (-1.0 / c))) * c;  // keeps both exponentials
}
}  // namespace

torch::Tensor sc_proxy(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                       const torch::Tensor& w, const MacOp& op, bool checkpoint) {
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
    Params p{op, s.input, s.weight, static_cast<int>(o.stream_length), s.split, quantized};
    auto [pos, neg] = split_sums(x, w, p);
    return sc_act_pointwise(pos, neg, s.input * s.weight * l * l, checkpoint);
  }
  torch::Tensor xq = operand(pos_part(x), s.input, l, quantized);
  if (s.split) xq = xq - operand(neg_part(x), s.input, l, quantized);
  torch::Tensor wq = operand(pos_part(w), s.weight, l - 1.0, quantized) -
                     operand(neg_part(w), s.weight, l - 1.0, quantized);
  return op.apply(xq, wq);
}

inject::Polarities sc_proxy_polarities(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                                       const torch::Tensor& w, const MacOp& op, bool checkpoint) {
  const double l = static_cast<double>(o.stream_length);
  Params p{op, s.input, s.weight, static_cast<int>(o.stream_length), s.split, o.proxy_quantized};
  auto [pos, neg] = split_sums(x, w, p);
  const double c = s.input * s.weight * l * l;
  inject::Polarities u;
  u.scale = c;
  u.bin_width = 0.1;
  if (o.proxy == ProxyKind::ScAct) {
    u.pos = sc_act_one(pos, c, checkpoint);
    u.neg = sc_act_one(neg, c, checkpoint);
  } else {
    u.pos = pos * (1.0 / c);
    u.neg = neg * (1.0 / c);
  }
  return u;
}

}  // namespace ax::hw::sc
