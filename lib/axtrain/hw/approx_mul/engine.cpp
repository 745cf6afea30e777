#include "axtrain/hw/approx_mul/engine.h"

#include <limits>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "axtrain/hw/approx_mul/kernels.h"

namespace ax::hw::amul {

namespace {

// Shapes of one evaluation, linear as a 1×1 convolution of a 1×1 image.
struct Geometry {
  std::int64_t N = 0, C = 0, H = 1, W = 1, O = 0, kh = 1, kw = 1, stride = 1, pad = 0, dil = 1, groups = 1;
  std::int64_t Hout = 1, Wout = 1;
  std::int64_t Cg() const { return C / groups; }
  std::int64_t Og() const { return O / groups; }
  std::int64_t Kg() const { return Cg() * kh * kw; }
  std::int64_t L() const { return Hout * Wout; }
};

Geometry geometry(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) {
  Geometry g;
  if (op.kind == MacOp::Kind::Linear) {
    TORCH_CHECK(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1), "approx_mul linear: bad shapes ",
                x.sizes(), " and ", w.sizes());
    g.N = x.size(0);
    g.C = x.size(1);
    g.O = w.size(0);
    return g;
  }
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4, "approx_mul conv2d: expected NCHW input and OIHW weight");
  g.N = x.size(0);
  g.C = x.size(1);
  g.H = x.size(2);
  g.W = x.size(3);
  g.O = w.size(0);
  g.kh = w.size(2);
  g.kw = w.size(3);
  g.stride = op.stride;
  g.pad = op.padding;
  g.dil = op.dilation;
  g.groups = op.groups;
  TORCH_CHECK(g.C % g.groups == 0 && g.O % g.groups == 0 && w.size(1) == g.C / g.groups,
              "approx_mul conv2d: channels do not match groups");
  g.Hout = (g.H + 2 * g.pad - g.dil * (g.kh - 1) - 1) / g.stride + 1;
  g.Wout = (g.W + 2 * g.pad - g.dil * (g.kw - 1) - 1) / g.stride + 1;
  TORCH_CHECK(g.Hout > 0 && g.Wout > 0, "approx_mul conv2d: empty output");
  return g;
}

// Weights as [G][Kg][Og] (output channel fastest) of the given per-code transform.
template <class F>
std::vector<std::int32_t> pack_weights(const std::int32_t* w, const Geometry& g, F f) {
  const std::int64_t Kg = g.Kg(), Og = g.Og();
  std::vector<std::int32_t> out(static_cast<std::size_t>(g.groups * Kg * Og));
  for (std::int64_t gr = 0; gr < g.groups; ++gr)
    for (std::int64_t o = 0; o < Og; ++o)
      for (std::int64_t k = 0; k < Kg; ++k)
        out[(gr * Kg + k) * Og + o] = f(w[(gr * Og + o) * Kg + k]);
  return out;
}

// Collects the entries of the input patch of output row r in group gr that lie inside the image
// (zero activations too unless skip_zeros): position k in the patch (c, i, j order, matching the
// weight layout) and the value(s) at that input.
template <class Push>
std::int64_t gather_patch(const std::int32_t* x, const Geometry& g, std::int64_t r, std::int64_t gr,
                          bool skip_zeros, Push push) {
  const std::int64_t n = r / g.L(), l = r % g.L(), oh = l / g.Wout, ow = l % g.Wout;
  std::int64_t nnz = 0;
  for (std::int64_t c = 0; c < g.Cg(); ++c) {
    const std::int64_t plane = (n * g.C + gr * g.Cg() + c) * g.H * g.W;
    for (std::int64_t i = 0; i < g.kh; ++i) {
      const std::int64_t ih = oh * g.stride - g.pad + i * g.dil;
      if (ih < 0 || ih >= g.H) continue;
      for (std::int64_t j = 0; j < g.kw; ++j) {
        const std::int64_t iw = ow * g.stride - g.pad + j * g.dil;
        if (iw < 0 || iw >= g.W) continue;
        const std::int64_t at = plane + ih * g.W + iw;
        if (!skip_zeros || x[at] != 0) push(nnz++, (c * g.kh + i) * g.kw + j, at);
      }
    }
  }
  return nnz;
}

inline std::int32_t iabs(std::int32_t v) { return v < 0 ? -v : v; }

}  // namespace

IntegerMac::IntegerMac(std::shared_ptr<const Multiplier> circuit, Port activation_port, std::int64_t a_max,
                       std::int64_t w_max)
    : circuit_(std::move(circuit)), port_(activation_port), a_max_(a_max), w_max_(w_max) {
  const std::int64_t m = circuit_->max_operand();
  if (a_max < 0 || a_max > m || w_max < 0 || w_max > m)
    throw std::invalid_argument(fmt::format("IntegerMac: operand magnitudes {} / {} exceed the {}-bit multiplier",
                                            a_max, w_max, circuit_->bits()));
  max_abs_product_ = circuit_->max_product();
  // A zero activation can be skipped only if the circuit maps it to 0 for every weight (true of
  // real multipliers; a user's table need not be).
  for (std::int64_t w = -w_max_; w <= w_max_ && skip_zeros_; ++w) skip_zeros_ = product(0, w) == 0;
  if (circuit_->bits() <= 8) {
    lut_stride_ = 2 * w_max_ + 1;
    lut_.resize(static_cast<std::size_t>((a_max_ + 1) * lut_stride_));
    for (std::int64_t a = 0; a <= a_max_; ++a)
      for (std::int64_t w = -w_max_; w <= w_max_; ++w)
        lut_[a * lut_stride_ + w + w_max_] = static_cast<std::int32_t>(product(a, w));
  }
}

std::int64_t IntegerMac::product(std::int64_t a, std::int64_t w) const {
  const auto ma = static_cast<std::uint32_t>(a < 0 ? -a : a), mw = static_cast<std::uint32_t>(w < 0 ? -w : w);
  const auto p = static_cast<std::int64_t>(port_ == Port::A ? circuit_->multiply(ma, mw) : circuit_->multiply(mw, ma));
  return (a < 0) != (w < 0) ? -p : p;
}

bool IntegerMac::int32_accumulator(std::int64_t fan_in) const {
  if (!uses_lut()) return false;
  return static_cast<long double>(fan_in) * static_cast<long double>(max_abs_product_) <
         static_cast<long double>(std::numeric_limits<std::int32_t>::max());
}

torch::Tensor IntegerMac::run(const torch::Tensor& x_codes, const torch::Tensor& w_codes, const MacOp& op) const {
  torch::Tensor x = x_codes.to(torch::kCPU, torch::kInt32).contiguous();
  torch::Tensor w = w_codes.to(torch::kCPU, torch::kInt32).contiguous();
  std::vector<std::int64_t> lead;  // leading dims of a linear input with more than 2 dims
  if (op.kind == MacOp::Kind::Linear && x.dim() != 2) {
    lead = x.sizes().vec();
    lead.pop_back();
    x = x.reshape({-1, x.size(-1)});
  }
  const Geometry g = geometry(x, w, op);
  TORCH_CHECK(x.abs().max().item<std::int64_t>() <= a_max_ || x.numel() == 0,
              "approx_mul: an input code exceeds the configured magnitude ", a_max_);
  TORCH_CHECK(w.abs().max().item<std::int64_t>() <= w_max_ || w.numel() == 0,
              "approx_mul: a weight code exceeds the configured magnitude ", w_max_);
  const std::int64_t R = g.N * g.L(), O = g.O, Og = g.Og(), Kg = g.Kg();
  const bool acc32 = int32_accumulator(Kg);
  torch::Tensor acc = torch::empty({R, O}, acc32 ? torch::kInt32 : torch::kInt64);
  const std::int32_t* xp = x.data_ptr<std::int32_t>();
  const std::int32_t* wp = w.data_ptr<std::int32_t>();
  const std::int64_t grain = std::max<std::int64_t>(1, 200000 / std::max<std::int64_t>(1, Kg * O));

  if (uses_lut()) {
    const std::int32_t off = static_cast<std::int32_t>(w_max_);
    std::vector<std::int32_t> widx = pack_weights(wp, g, [off](std::int32_t v) { return v + off; });
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), aval(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            aval[t] = xp[at];
          });
          const std::int32_t* wg = widx.data() + gr * Kg * Og;
          if (acc32)
            lut_row_i32(kidx.data(), aval.data(), nnz, wg, Og, lut_.data(), lut_stride_,
                        acc.data_ptr<std::int32_t>() + r * O + gr * Og);
          else
            lut_row_i64(kidx.data(), aval.data(), nnz, wg, Og, lut_.data(), lut_stride_,
                        acc.data_ptr<std::int64_t>() + r * O + gr * Og);
        }
      }
    });
  } else if (circuit_->has_shift_form()) {
    // Mantissa (signed) and shift of every activation and weight, computed once.
    auto split = [this](std::int32_t v, std::int32_t* m, std::int32_t* s) {
      std::uint32_t mm;
      int ss;
      circuit_->decompose(static_cast<std::uint32_t>(iabs(v)), &mm, &ss);
      *m = v < 0 ? -static_cast<std::int32_t>(mm) : static_cast<std::int32_t>(mm);
      *s = ss;
    };
    std::vector<std::int32_t> xm(x.numel()), xs(x.numel());
    for (std::int64_t i = 0; i < x.numel(); ++i) split(xp[i], &xm[i], &xs[i]);
    std::vector<std::int32_t> wm = pack_weights(wp, g, [&](std::int32_t v) { std::int32_t m, s; split(v, &m, &s); return m; });
    std::vector<std::int32_t> ws = pack_weights(wp, g, [&](std::int32_t v) { std::int32_t m, s; split(v, &m, &s); return s; });
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), am(Kg), as(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            am[t] = xm[at];
            as[t] = xs[at];
          });
          shift_row(kidx.data(), am.data(), as.data(), nnz, wm.data() + gr * Kg * Og, ws.data() + gr * Kg * Og,
                    Og, acc.data_ptr<std::int64_t>() + r * O + gr * Og);
        }
      }
    });
  } else {
    std::vector<std::int32_t> wc = pack_weights(wp, g, [](std::int32_t v) { return v; });
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), aval(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            aval[t] = xp[at];
          });
          std::int64_t* out = acc.data_ptr<std::int64_t>() + r * O + gr * Og;
          for (std::int64_t o = 0; o < Og; ++o) out[o] = 0;
          for (std::int64_t t = 0; t < nnz; ++t) {
            const std::int32_t* wk = wc.data() + (gr * Kg + kidx[t]) * Og;
            for (std::int64_t o = 0; o < Og; ++o) out[o] += product(aval[t], wk[o]);
          }
        }
      }
    });
  }

  if (op.kind == MacOp::Kind::Linear) {
    if (lead.empty()) return acc;
    lead.push_back(O);
    return acc.reshape(lead);
  }
  return acc.view({g.N, g.L(), O}).permute({0, 2, 1}).reshape({g.N, O, g.Hout, g.Wout});
}

}  // namespace ax::hw::amul
