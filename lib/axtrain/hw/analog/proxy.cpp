#include "axtrain/hw/analog/proxy.h"

#include <algorithm>
#include <vector>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "axtrain/hw/mac/clones.h"
#include "axtrain/hw/mac/geometry.h"

namespace ax::hw::analog {

namespace {
using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

Tensor pos_part(const Tensor& t) { return torch::where(t >= 0, t, torch::zeros_like(t)); }
Tensor neg_part(const Tensor& t) { return torch::where(t < 0, -t, torch::zeros_like(t)); }
bool has_negative(const Tensor& t) { return t.numel() > 0 && t.min().item<double>() < 0.0; }

// The input lines: (magnitude, routed to the same lines?) — non-negative inputs need one.
std::vector<std::pair<Tensor, bool>> input_lines(const Tensor& x) {
  if (!has_negative(x)) return {{x, true}};
  return {{pos_part(x), true}, {neg_part(x), false}};
}

// The split outputs (x_pos, x_neg) of one input line against (wa, wb): one convolution with the
// two weight sets stacked when the op allows it.
std::pair<Tensor, Tensor> apply_two(const MacOp& op, const Tensor& x, const Tensor& wa, const Tensor& wb) {
  if (op.groups == 1) {
    auto parts = op.apply(x, torch::cat({wa, wb}, 0)).chunk(2, 1);
    return {parts[0], parts[1]};
  }
  return {op.apply(x, wa), op.apply(x, wb)};
}

Tensor summed_forward(const Tensor& x, const Tensor& w, double T, const MacOp& op) {
  Tensor wp = pos_part(w), wn = neg_part(w);
  Tensor pos, neg;
  for (const auto& [xi, same] : input_lines(x)) {
    auto [p, n] = apply_two(op, xi, same ? wp : wn, same ? wn : wp);
    pos = pos.defined() ? pos + p : p;
    neg = neg.defined() ? neg + n : n;
  }
  return torch::clamp_max(pos, T) - torch::clamp_max(neg, T);
}

// Unrolled input [nch, A, N·L] of group gi (zero-padded to nch·A elements).
Tensor array_cols(const Tensor& x, const MacOp& op, std::int64_t kh, std::int64_t kw,
                  std::int64_t gi, std::int64_t Kg, std::int64_t A) {
  Tensor cols = op.kind == MacOp::Kind::Linear
                    ? x.unsqueeze(2)
                    : torch::im2col(x, {kh, kw}, {op.dilation, op.dilation},
                                    {op.padding, op.padding}, {op.stride, op.stride});
  cols = cols.narrow(1, gi * Kg, Kg);  // [N, Kg, L]
  const std::int64_t nch = (Kg + A - 1) / A, N = cols.size(0), L = cols.size(2);
  if (nch * A != Kg) cols = torch::constant_pad_nd(cols, {0, 0, 0, nch * A - Kg});
  return cols.view({N, nch, A, L}).permute({1, 2, 0, 3}).reshape({nch, A, N * L});
}

// Weights [nch, Og, A] of group gi.
Tensor array_weights(const Tensor& w, std::int64_t gi, std::int64_t Og, std::int64_t Kg,
                     std::int64_t A) {
  Tensor wg = w.narrow(0, gi * Og, Og).reshape({Og, Kg});
  const std::int64_t nch = (Kg + A - 1) / A;
  if (nch * A != Kg) wg = torch::constant_pad_nd(wg, {0, nch * A - Kg});
  return wg.view({Og, nch, A}).permute({1, 0, 2});
}

// The layer output's shape ([N, O] or [N, O, OH, OW]).
std::vector<std::int64_t> output_shape(const Tensor& x, const Tensor& w, const MacOp& op) {
  if (op.kind == MacOp::Kind::Linear) return {x.size(0), w.size(0)};
  const std::int64_t kh = w.size(2), kw = w.size(3);
  return {x.size(0), w.size(0), (x.size(2) + 2 * op.padding - op.dilation * (kh - 1) - 1) / op.stride + 1,
          (x.size(3) + 2 * op.padding - op.dilation * (kw - 1) - 1) / op.stride + 1};
}

Tensor per_array_forward(const Tensor& x, const Tensor& w, double C, const MacOp& op,
                         std::int64_t A) {
  const bool conv = op.kind == MacOp::Kind::Conv2d;
  const std::int64_t G = conv ? op.groups : 1, O = w.size(0), Og = O / G;
  std::int64_t Kg = 1;
  for (std::int64_t d = 1; d < w.dim(); ++d) Kg *= w.size(d);
  const std::int64_t kh = conv ? w.size(2) : 1, kw = conv ? w.size(3) : 1;
  const auto lines = input_lines(x);
  std::vector<Tensor> outs;
  for (std::int64_t gi = 0; gi < G; ++gi) {
    Tensor wp = array_weights(pos_part(w), gi, Og, Kg, A), wn = array_weights(neg_part(w), gi, Og, Kg, A);
    Tensor pos, neg;
    for (const auto& [xi, same] : lines) {
      Tensor cols = array_cols(xi, op, kh, kw, gi, Kg, A);
      Tensor p = torch::bmm(same ? wp : wn, cols), n = torch::bmm(same ? wn : wp, cols);
      pos = pos.defined() ? pos + p : p;
      neg = neg.defined() ? neg + n : n;
    }
    Tensor y = (torch::clamp_max(pos, C) - torch::clamp_max(neg, C)).sum(0);  // [Og, N·L]
    outs.push_back(y.view({Og, x.size(0), -1}).permute({1, 0, 2}));
  }
  Tensor y = G == 1 ? outs[0] : torch::cat(outs, 1);  // [N, O, L]
  if (!conv) return y.reshape({x.size(0), O});
  const std::int64_t H = x.size(2), W = x.size(3);
  const std::int64_t OH = (H + 2 * op.padding - op.dilation * (kh - 1) - 1) / op.stride + 1;
  const std::int64_t OW = (W + 2 * op.padding - op.dilation * (kw - 1) - 1) / op.stride + 1;
  return y.reshape({x.size(0), O, OH, OW});
}

// Samples per slice so that one polarity's partial sums stay below ~16 M elements.
std::int64_t slice_size(const Tensor& x, const Tensor& w, const MacOp& op, std::int64_t A) {
  std::int64_t K = 1;
  for (std::int64_t d = 1; d < w.dim(); ++d) K *= w.size(d);
  std::int64_t per_sample = ((K + A - 1) / A) * w.size(0);
  if (op.kind == MacOp::Kind::Conv2d) {
    const std::int64_t kh = w.size(2), kw = w.size(3);
    per_sample *= ((x.size(2) + 2 * op.padding - op.dilation * (kh - 1) - 1) / op.stride + 1) *
                  ((x.size(3) + 2 * op.padding - op.dilation * (kw - 1) - 1) / op.stride + 1);
  }
  return std::max<std::int64_t>(1, (std::int64_t{16} << 20) / std::max<std::int64_t>(per_sample, 1));
}

// The masked products of one array (one c of [nch, ...]), in chunks of kChunk columns that stay in
// cache: P± = Σ_lines W(line)·cols(line) for the chunk, G± = g·1{P± ≤ C}, then
// gcols(line) = Wa(line)ᵀ·G⁺ − Wb(line)ᵀ·G⁻ and dW⁺/dW⁻ += ±G±·cols(line)ᵀ (Wa = the weights whose
// products with that line feed P⁺: W⁺ for the same-polarity line, W⁻ for the opposite one).
// Shapes: cols[l] [A][M], gcols[l] [A][M], wp/wn [Og][A], ge [Og][M], dwp/dwn [Og][A].
template <class T>
__attribute__((always_inline)) inline void masked_array_products(int lines, const T* const* cols, const bool* same, const T* wp,
                                        const T* wn, const T* ge, T C, std::int64_t Og, std::int64_t A,
                                        std::int64_t M, T* const* gcols, T* dwp, T* dwn) {
  constexpr std::int64_t kChunk = 256;
  constexpr int kLanes = 16;
  std::vector<T> P(static_cast<std::size_t>(Og * kChunk)), Nn(P.size());
  for (std::int64_t j0 = 0; j0 < M; j0 += kChunk) {
    const std::int64_t m = std::min(kChunk, M - j0);
    std::fill(P.begin(), P.end(), T(0));
    std::fill(Nn.begin(), Nn.end(), T(0));
    for (int l = 0; l < lines; ++l) {
      const T* wa = same[l] ? wp : wn;
      const T* wb = same[l] ? wn : wp;
      for (std::int64_t o = 0; o < Og; ++o) {
        T* pr = P.data() + o * kChunk;
        T* nr = Nn.data() + o * kChunk;
        for (std::int64_t a = 0; a < A; ++a) {
          const T* cr = cols[l] + a * M + j0;
          const T u = wa[o * A + a], v = wb[o * A + a];
          for (std::int64_t j = 0; j < m; ++j) {
            pr[j] += u * cr[j];
            nr[j] += v * cr[j];
          }
        }
      }
    }
    // G± in place of P±.
    for (std::int64_t o = 0; o < Og; ++o) {
      T* pr = P.data() + o * kChunk;
      T* nr = Nn.data() + o * kChunk;
      const T* gr = ge + o * M + j0;
      for (std::int64_t j = 0; j < m; ++j) {
        pr[j] = pr[j] <= C ? gr[j] : T(0);
        nr[j] = nr[j] <= C ? gr[j] : T(0);
      }
    }
    for (int l = 0; l < lines; ++l) {
      const T* wa = same[l] ? wp : wn;
      const T* wb = same[l] ? wn : wp;
      T* da = same[l] ? dwp : dwn;  // receives +G⁺·colsᵀ
      T* db = same[l] ? dwn : dwp;  // receives −G⁻·colsᵀ
      for (std::int64_t a = 0; a < A; ++a) {
        const T* cr = cols[l] + a * M + j0;
        T* gc = gcols[l] + a * M + j0;
        for (std::int64_t o = 0; o < Og; ++o) {
          const T* pr = P.data() + o * kChunk;
          const T* nr = Nn.data() + o * kChunk;
          const T u = wa[o * A + a], v = wb[o * A + a];
          // kLanes independent partial sums, so the dot products vectorise without reassociation
          // (the lanes are added at the end: a fixed order, independent of the thread count).
          T sp[kLanes] = {}, sn[kLanes] = {};
          std::int64_t j = 0;
          for (; j + kLanes <= m; j += kLanes)
            for (int q = 0; q < kLanes; ++q) {
              gc[j + q] += u * pr[j + q] - v * nr[j + q];
              sp[q] += pr[j + q] * cr[j + q];
              sn[q] += nr[j + q] * cr[j + q];
            }
          T tp = 0, tn = 0;
          for (; j < m; ++j) {
            gc[j] += u * pr[j] - v * nr[j];
            tp += pr[j] * cr[j];
            tn += nr[j] * cr[j];
          }
          for (int q = 0; q < kLanes; ++q) {
            tp += sp[q];
            tn += sn[q];
          }
          da[o * A + a] += tp;
          db[o * A + a] -= tn;
        }
      }
    }
  }
}

// One clone set per element type (the template is inlined into each, so it is compiled per ISA).
AX_CLONES_V4_V3 void masked_products_f32(int lines, const float* const* cols, const bool* same, const float* wp,
                                      const float* wn, const float* ge, float C, std::int64_t Og, std::int64_t A,
                                      std::int64_t M, float* const* gcols, float* dwp, float* dwn) {
  masked_array_products<float>(lines, cols, same, wp, wn, ge, C, Og, A, M, gcols, dwp, dwn);
}
AX_CLONES_V4_V3 void masked_products_f64(int lines, const double* const* cols, const bool* same, const double* wp,
                                      const double* wn, const double* ge, double C, std::int64_t Og, std::int64_t A,
                                      std::int64_t M, double* const* gcols, double* dwp, double* dwn) {
  masked_array_products<double>(lines, cols, same, wp, wn, ge, C, Og, A, M, gcols, dwp, dwn);
}
inline void masked_products(int lines, const float* const* cols, const bool* same, const float* wp, const float* wn,
                            const float* ge, float C, std::int64_t Og, std::int64_t A, std::int64_t M,
                            float* const* gcols, float* dwp, float* dwn) {
  masked_products_f32(lines, cols, same, wp, wn, ge, C, Og, A, M, gcols, dwp, dwn);
}
inline void masked_products(int lines, const double* const* cols, const bool* same, const double* wp,
                            const double* wn, const double* ge, double C, std::int64_t Og, std::int64_t A,
                            std::int64_t M, double* const* gcols, double* dwp, double* dwn) {
  masked_products_f64(lines, cols, same, wp, wn, ge, C, Og, A, M, gcols, dwp, dwn);
}

// Gradients (x, w) of the per-array proxy on one batch slice for the upstream gradient g. The
// partial sums are recomputed without a graph, the saturation masks select the upstream gradient
// (G± = g·1{P± ≤ C}, as clamp_max), and the four products (Wᵀ·G for the unrolled input, G·colsᵀ for the
// weights) are formed directly; only the layout steps (the split into lines, unfold, padding,
// permutes) go through autograd. Same result as differentiating per_array_forward.
std::pair<Tensor, Tensor> per_array_backward(const Tensor& x, const Tensor& w, const Tensor& g, double C,
                                             const MacOp& op, std::int64_t A) {
  const bool conv = op.kind == MacOp::Kind::Conv2d;
  const std::int64_t G = conv ? op.groups : 1, O = w.size(0), Og = O / G, N = x.size(0);
  std::int64_t Kg = 1;
  for (std::int64_t d = 1; d < w.dim(); ++d) Kg *= w.size(d);
  const std::int64_t kh = conv ? w.size(2) : 1, kw = conv ? w.size(3) : 1;
  torch::AutoGradMode enable(true);
  Tensor xr = x.detach().requires_grad_(true), wr = w.detach().requires_grad_(true);
  const auto lines = input_lines(xr);
  const Tensor wpos = pos_part(wr), wneg = neg_part(wr);
  const Tensor gl = g.reshape({N, O, -1});  // [N, O, L]
  std::vector<Tensor> outs, grads;
  for (std::int64_t gi = 0; gi < G; ++gi) {
    Tensor Wp = array_weights(wpos, gi, Og, Kg, A), Wn = array_weights(wneg, gi, Og, Kg, A);
    Tensor wp = Wp.detach().contiguous(), wn = Wn.detach().contiguous();
    std::vector<Tensor> cols;
    for (const auto& line : lines) cols.push_back(array_cols(line.first, op, kh, kw, gi, Kg, A));
    const Tensor ge = gl.narrow(1, gi * Og, Og).permute({1, 0, 2}).reshape({Og, -1}).contiguous();  // [Og, N·L]
    const std::int64_t nch = wp.size(0), A2 = wp.size(2), M = ge.size(1);
    std::vector<Tensor> cd, gc;
    for (const Tensor& c : cols) {
      cd.push_back(c.detach().contiguous());
      gc.push_back(torch::zeros_like(cd.back()));
    }
    Tensor dwp = torch::zeros_like(wp), dwn = torch::zeros_like(wn);
    std::vector<char> same_v;
    for (const auto& line : lines) same_v.push_back(line.second ? 1 : 0);
    TORCH_CHECK(wp.scalar_type() == torch::kFloat || wp.scalar_type() == torch::kDouble,
                "analog per-array proxy: float32 or float64 operands expected");
    AT_DISPATCH_FLOATING_TYPES(wp.scalar_type(), "per_array_backward", [&] {
      using T = scalar_t;
      at::parallel_for(0, nch, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
          const T* cp[2] = {nullptr, nullptr};
          T* gp[2] = {nullptr, nullptr};
          bool sm[2] = {false, false};
          for (std::size_t l = 0; l < cd.size(); ++l) {
            cp[l] = cd[l].data_ptr<T>() + c * A2 * M;
            gp[l] = gc[l].data_ptr<T>() + c * A2 * M;
            sm[l] = same_v[l] != 0;
          }
          masked_products(static_cast<int>(cd.size()), cp, sm, wp.data_ptr<T>() + c * Og * A2,
                                   wn.data_ptr<T>() + c * Og * A2, ge.data_ptr<T>(), static_cast<T>(C), Og, A2, M,
                                   gp, dwp.data_ptr<T>() + c * Og * A2, dwn.data_ptr<T>() + c * Og * A2);
        }
      });
    });
    for (std::size_t i = 0; i < cols.size(); ++i) {
      outs.push_back(cols[i]);
      grads.push_back(gc[i]);
    }
    outs.push_back(Wp);
    grads.push_back(dwp);
    outs.push_back(Wn);
    grads.push_back(dwn);
  }
  auto r = torch::autograd::grad(outs, {xr, wr}, grads, /*retain_graph=*/false, /*create_graph=*/false,
                                 /*allow_unused=*/true);
  return {r[0].defined() ? r[0] : torch::zeros_like(x), r[1].defined() ? r[1] : torch::zeros_like(w)};
}

void save_op(AutogradContext* ctx, const MacOp& op, double clamp, std::int64_t A) {
  mac::save(ctx, op);
  ctx->saved_data["clamp"] = clamp;
  ctx->saved_data["array"] = A;
}


// Runs f on slices of the batch (A = 0: the summed form, one slice).
Tensor sliced(const Tensor& x, const Tensor& w, double clamp, const MacOp& op, std::int64_t A) {
  if (A == 0) return summed_forward(x, w, clamp, op);
  const std::int64_t step = slice_size(x, w, op, A), N = x.size(0);
  if (step >= N) return per_array_forward(x, w, clamp, op, A);
  std::vector<Tensor> parts;
  for (std::int64_t s = 0; s < N; s += step)
    parts.push_back(per_array_forward(x.narrow(0, s, std::min(step, N - s)), w, clamp, op, A));
  return torch::cat(parts, 0);
}

struct AnalogProxyFn : torch::autograd::Function<AnalogProxyFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& w, double clamp,
                        std::int64_t kind, std::int64_t stride, std::int64_t padding,
                        std::int64_t dilation, std::int64_t groups, std::int64_t A, bool value_needed) {
    MacOp op{static_cast<MacOp::Kind>(kind), stride, padding, dilation, groups};
    ctx->save_for_backward({x, w});
    save_op(ctx, op, clamp, A);
    if (!value_needed) return torch::zeros(output_shape(x, w, op), x.options());
    return sliced(x, w, clamp, op, A);
  }

  // Recomputes the split forward with autograd (gradient checkpointing, PAPERS.md §7.9).
  static tensor_list backward(AutogradContext* ctx, tensor_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const MacOp op = mac::load(ctx);
    const double clamp = ctx->saved_data["clamp"].toDouble();
    const std::int64_t A = ctx->saved_data["array"].toInt();
    torch::AutoGradMode enable(true);
    const Tensor& g = grad_out[0];
    const std::int64_t N = saved[0].size(0);
    const std::int64_t step = A == 0 ? N : slice_size(saved[0], saved[1], op, A);
    Tensor wr = saved[1].detach().requires_grad_(true);
    std::vector<Tensor> gx;
    Tensor gw;
    for (std::int64_t s = 0; s < N; s += step) {
      const std::int64_t n = std::min(step, N - s);
      if (A > 0) {
        auto [gxs, gws] = per_array_backward(saved[0].narrow(0, s, n), saved[1], g.narrow(0, s, n), clamp, op, A);
        gx.push_back(gxs);
        gw = gw.defined() ? gw + gws : gws;
        continue;
      }
      Tensor xr = saved[0].narrow(0, s, n).detach().requires_grad_(true);
      Tensor y = A == 0 ? summed_forward(xr, wr, clamp, op) : per_array_forward(xr, wr, clamp, op, A);
      auto gr = torch::autograd::grad({y}, {xr, wr}, {g.narrow(0, s, n)});
      gx.push_back(gr[0]);
      gw = gw.defined() ? gw + gr[1] : gr[1];
    }
    Tensor gxa = gx.size() == 1 ? gx[0] : torch::cat(gx, 0);
    return {gxa, gw, Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

Tensor apply_fn(const Tensor& xq, const Tensor& wq, double clamp, const MacOp& op, std::int64_t A,
               bool value_needed) {
  return AnalogProxyFn::apply(xq, wq, clamp, static_cast<std::int64_t>(op.kind), op.stride,
                              op.padding, op.dilation, op.groups, A, value_needed);
}
}  // namespace

torch::Tensor summed_proxy(const torch::Tensor& xq, const torch::Tensor& wq, double clamp,
                           const MacOp& op) {
  // Ordinary autograd: the convolutions keep only their inputs and each clamp its input x_pos or
  // x_neg, which is what a fused point-wise function would save too.
  return summed_forward(xq, wq, clamp, op);
}

torch::Tensor per_array_proxy(const torch::Tensor& xq, const torch::Tensor& wq, double clamp,
                              const MacOp& op, std::int64_t array_size, bool value_needed) {
  return apply_fn(xq, wq, clamp, op, array_size, value_needed);
}

}  // namespace ax::hw::analog
