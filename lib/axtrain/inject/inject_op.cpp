#include "axtrain/inject/inject_op.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <array>
#include <cmath>
#include <vector>
#include <limits>
#include <type_traits>

#include "axtrain/inject/error_model.h"
#include "axtrain/core/random.h"

namespace ax::inject {

namespace {

constexpr std::int64_t kNoiseBlock = 2048;  // elements per parallel task (a stack buffer of noise)

// Calls f(b, len, eps) in parallel for the blocks [b, b + len) of n elements, eps = the numbers
// b .. b + len − 1 of the noise stream, generated on the task's stack.
template <class F>
void for_noise_blocks(std::int64_t n, const rng::Stream& noise, const F& f) {
  at::parallel_for(0, (n + kNoiseBlock - 1) / kNoiseBlock, 1, [&](std::int64_t b0, std::int64_t b1) {
    float eps[kNoiseBlock];
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      const std::int64_t b = blk * kNoiseBlock, len = std::min(n - b, kNoiseBlock);
      rng::fill_standard_normal(eps, len, noise, static_cast<std::uint64_t>(b));
      f(b, len, eps);
    }
  });
}

// Polynomial coefficients (lowest order first) as N values of the element type: the element loops
// below take N as a template argument, so Horner's rule unrolls and the loop over elements vectorises.
template <class T, int N>
std::array<T, N> coefs(const torch::Tensor& c) {
  torch::Tensor d = c.to(torch::kFloat64).contiguous();
  std::array<T, N> out{};
  for (int k = 0; k < N && k < d.numel(); ++k) out[static_cast<std::size_t>(k)] = static_cast<T>(d.data_ptr<double>()[k]);
  return out;
}

// The derivative's coefficients: d[k] = (k + 1)·c[k + 1], N − 1 of them (one zero when N = 1).
template <class T, int N>
std::array<T, (N > 1 ? N - 1 : 1)> derivative_coefs(const torch::Tensor& c) {
  std::array<T, N> a = coefs<T, N>(c);
  std::array<T, (N > 1 ? N - 1 : 1)> d{};
  for (int k = 0; k + 1 < N; ++k) d[static_cast<std::size_t>(k)] = static_cast<T>(k + 1) * a[static_cast<std::size_t>(k + 1)];
  return d;
}

template <class T, std::size_t N>
inline T horner(const std::array<T, N>& c, T x) {
  T y = c[N - 1];
  for (int k = static_cast<int>(N) - 2; k >= 0; --k) y = y * x + c[static_cast<std::size_t>(k)];
  return y;
}

// Calls f(std::integral_constant<int, N>) for the coefficient count N = 1 .. 13 (degree 0 .. 12, the
// range the config allows).
template <class F>
void with_coef_count(std::int64_t n, F&& f) {
  switch (n) {
#define AX_COEF_CASE(k) \
  case k:               \
    return f(std::integral_constant<int, k>{});
    AX_COEF_CASE(1) AX_COEF_CASE(2) AX_COEF_CASE(3) AX_COEF_CASE(4) AX_COEF_CASE(5) AX_COEF_CASE(6)
    AX_COEF_CASE(7) AX_COEF_CASE(8) AX_COEF_CASE(9) AX_COEF_CASE(10) AX_COEF_CASE(11) AX_COEF_CASE(12)
    AX_COEF_CASE(13)
#undef AX_COEF_CASE
    default:
      TORCH_CHECK(false, "poly_inject: ", n, " coefficients; 1 to 13 (degree 0 to 12) are supported");
  }
}

template <class T, std::size_t N>
void poly_noise_block(const T* __restrict u, T* __restrict y, const float* __restrict eps, std::int64_t n,
                      const std::array<T, N>& mc, const std::array<T, N>& sc, T lo, T hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T x = u[i] < lo ? lo : (u[i] > hi ? hi : u[i]);
    const T s = horner(sc, x);
    y[i] = u[i] + horner(mc, x) + (s > T(0) ? s : T(0)) * static_cast<T>(eps[i]);
  }
}

template <class T, std::size_t M>
void poly_grad_block(const T* __restrict u, const T* __restrict g, T* __restrict out, std::int64_t n,
                     const std::array<T, M>& dc, T lo, T hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T x = u[i];
    const T d = (x >= lo && x <= hi) ? horner(dc, x) : T(0);
    out[i] = g[i] * (T(1) + d);
  }
}

class PolyInjectFn : public torch::autograd::Function<PolyInjectFn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u_in,
                               const torch::Tensor& mean_coef, const torch::Tensor& std_coef, double lo, double hi,
                               bool corrected, const rng::Stream& noise) {
    TORCH_CHECK(mean_coef.numel() == std_coef.numel(), "poly_inject: mean and std polynomials differ in degree");
    torch::Tensor u = u_in.contiguous();
    torch::Tensor y = torch::empty_like(u);
    const std::int64_t n = u.numel();
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "poly_inject", [&] {
      with_coef_count(mean_coef.numel(), [&](auto count) {
        constexpr int N = decltype(count)::value;
        const auto mc = coefs<scalar_t, N>(mean_coef), sc = coefs<scalar_t, N>(std_coef);
        const scalar_t* pu = u.data_ptr<scalar_t>();
        scalar_t* py = y.data_ptr<scalar_t>();
        const auto l = static_cast<scalar_t>(lo), h = static_cast<scalar_t>(hi);
        for_noise_blocks(n, noise, [&](std::int64_t b, std::int64_t len, const float* eps) {
          poly_noise_block(pu + b, py + b, eps, len, mc, sc, l, h);
        });
      });
    });
    ctx->save_for_backward({u, mean_coef});
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["hi"] = hi;
    ctx->saved_data["corrected"] = corrected;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    torch::Tensor g = grads[0];
    if (!ctx->saved_data["corrected"].toBool()) return {g, {}, {}, {}, {}, {}, {}};
    auto saved = ctx->get_saved_variables();
    torch::Tensor u = saved[0], mean_coef = saved[1];
    const double lo = ctx->saved_data["lo"].toDouble(), hi = ctx->saved_data["hi"].toDouble();
    torch::Tensor gc = g.contiguous(), out = torch::empty_like(u);
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "poly_inject_backward", [&] {
      with_coef_count(mean_coef.numel(), [&](auto count) {
        constexpr int N = decltype(count)::value;
        const auto dc = derivative_coefs<scalar_t, N>(mean_coef);
        const scalar_t* pu = u.data_ptr<scalar_t>();
        const scalar_t* pg = gc.data_ptr<scalar_t>();
        scalar_t* po = out.data_ptr<scalar_t>();
        const auto l = static_cast<scalar_t>(lo), h = static_cast<scalar_t>(hi);
        at::parallel_for(0, u.numel(), 16384, [&](std::int64_t b, std::int64_t e) {
          poly_grad_block(pu + b, pg + b, po + b, e - b, dc, l, h);
        });
      });
    });
    return {out, {}, {}, {}, {}, {}, {}};
  }
};

template <class T>
std::vector<T> values_of(const torch::Tensor& t) {
  torch::Tensor d = t.to(torch::kFloat64).contiguous();
  return std::vector<T>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

inline std::int64_t clamp_index(double v, std::int64_t hi) {
  if (!(v >= 0.0)) return 0;  // also NaN
  return v >= static_cast<double>(hi) ? hi : static_cast<std::int64_t>(v);
}

class TableInjectFn : public torch::autograd::Function<TableInjectFn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u_in,
                               const torch::Tensor& mean, const torch::Tensor& sd, const torch::Tensor& slope,
                               double lo, double width, bool corrected,
                               const rng::Stream& noise) {
    torch::Tensor u = u_in.contiguous();
    torch::Tensor y = torch::empty_like(u);
    const std::int64_t n = u.numel(), last = mean.numel() - 1;
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "table_inject", [&] {
      const std::vector<scalar_t> m = values_of<scalar_t>(mean), s = values_of<scalar_t>(sd);
      const scalar_t* pu = u.data_ptr<scalar_t>();
      scalar_t* py = y.data_ptr<scalar_t>();
      const double inv = 1.0 / width;
      for_noise_blocks(n, noise, [&](std::int64_t b, std::int64_t len, const float* eps) {
        for (std::int64_t i = 0; i < len; ++i) {
          const std::int64_t j = clamp_index(std::floor((static_cast<double>(pu[b + i]) - lo) * inv), last);
          py[b + i] = pu[b + i] + m[static_cast<std::size_t>(j)] + s[static_cast<std::size_t>(j)] * static_cast<scalar_t>(eps[i]);
        }
      });
    });
    ctx->save_for_backward({u, slope});
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["width"] = width;
    ctx->saved_data["corrected"] = corrected;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    torch::Tensor g = grads[0];
    if (!ctx->saved_data["corrected"].toBool()) return {g, {}, {}, {}, {}, {}, {}, {}};
    auto saved = ctx->get_saved_variables();
    torch::Tensor u = saved[0], slope = saved[1];
    const double lo = ctx->saved_data["lo"].toDouble(), inv = 2.0 / ctx->saved_data["width"].toDouble();
    torch::Tensor gc = g.contiguous(), out = torch::empty_like(u);
    const std::int64_t last = slope.numel() - 1;
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "table_inject_backward", [&] {
      const std::vector<scalar_t> d = values_of<scalar_t>(slope);
      const scalar_t* pu = u.data_ptr<scalar_t>();
      const scalar_t* pg = gc.data_ptr<scalar_t>();
      scalar_t* po = out.data_ptr<scalar_t>();
      at::parallel_for(0, u.numel(), 16384, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) {
          const std::int64_t h = clamp_index(std::floor((static_cast<double>(pu[i]) - lo) * inv), last);
          po[i] = pg[i] * (scalar_t(1) + d[static_cast<std::size_t>(h)]);
        }
      });
    });
    return {out, {}, {}, {}, {}, {}, {}, {}};
  }
};

// y = u + μ + σ·ε; the noise carries no gradient and nothing is saved.
class GaussianInjectFn : public torch::autograd::Function<GaussianInjectFn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& u_in, double mean,
                               double sd, const rng::Stream& noise) {
    torch::Tensor u = u_in.contiguous();
    torch::Tensor y = torch::empty_like(u);
    const std::int64_t n = u.numel();
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "gaussian_inject", [&] {
      const scalar_t* pu = u.data_ptr<scalar_t>();
      scalar_t* py = y.data_ptr<scalar_t>();
      const auto m = static_cast<scalar_t>(mean), s = static_cast<scalar_t>(sd);
      for_noise_blocks(n, noise, [&](std::int64_t b, std::int64_t len, const float* eps) {
        for (std::int64_t i = 0; i < len; ++i) py[b + i] = pu[b + i] + m + s * static_cast<scalar_t>(eps[i]);
      });
    });
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list grads) {
    return {grads[0], {}, {}, {}};
  }
};

}  // namespace

torch::Tensor standard_normal(const torch::Tensor& like, const rng::Stream& noise) {
  torch::Tensor z = torch::empty(like.sizes(), torch::kFloat32);
  const std::int64_t n = z.numel();
  float* pz = z.data_ptr<float>();
  at::parallel_for(0, (n + kNoiseBlock - 1) / kNoiseBlock, 1, [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t b = b0 * kNoiseBlock, e = std::min(n, b1 * kNoiseBlock);
    rng::fill_standard_normal(pz + b, e - b, noise, static_cast<std::uint64_t>(b));
  });
  return z.to(like.options());
}

torch::Tensor gaussian_inject(const torch::Tensor& u, double mean, double sd, const rng::Stream& noise) {
  if (!u.device().is_cpu()) {
    torch::Tensor e;
    {
      torch::NoGradGuard g;
      e = standard_normal(u, noise) * sd + mean;
    }
    return u + e;
  }
  return GaussianInjectFn::apply(u, mean, sd, noise);
}

torch::Tensor table_inject(const torch::Tensor& u, const TableInjectArgs& a) {
  if (!u.device().is_cpu()) return table_inject_composed(u, a);
  return TableInjectFn::apply(u, a.mean, a.std, a.slope, a.lo, a.width, a.corrected_gradient, a.noise);
}

torch::Tensor table_inject_composed(const torch::Tensor& u, const TableInjectArgs& a) {
  torch::Tensor eps = standard_normal(u, a.noise);
  torch::Tensor pos = (u.detach().to(torch::kFloat64) - a.lo) / a.width;
  torch::Tensor j = pos.floor().nan_to_num(0.0).clamp(0, a.mean.numel() - 1).to(torch::kInt64);
  torch::Tensor h = (pos * 2.0).floor().nan_to_num(0.0).clamp(0, a.slope.numel() - 1).to(torch::kInt64);
  torch::Tensor m = a.mean.to(u.device()).index({j}).to(u.scalar_type());
  torch::Tensor sd = a.std.to(u.device()).index({j}).to(u.scalar_type());
  torch::Tensor y = u + m + sd * eps;
  if (a.corrected_gradient) {
    torch::Tensor d = a.slope.to(u.device()).index({h}).to(u.scalar_type());
    y = y + (u * d - (u * d).detach());
  }
  return y;
}

torch::Tensor poly_inject(const torch::Tensor& u, const PolyInjectArgs& a) {
  if (!u.device().is_cpu()) return poly_inject_composed(u, a);
  return PolyInjectFn::apply(u, a.mean_coef, a.std_coef, a.lo, a.hi, a.corrected_gradient, a.noise);
}

torch::Tensor poly_inject_composed(const torch::Tensor& u, const PolyInjectArgs& a) {
  torch::Tensor eps = standard_normal(u, a.noise);
  torch::Tensor x = torch::clamp(u, a.lo, a.hi);
  torch::Tensor mean = polyval(a.mean_coef, x);
  torch::Tensor sd = torch::relu(polyval(a.std_coef, x));
  torch::Tensor noise = (sd * eps).detach();
  if (!a.corrected_gradient) mean = mean.detach();
  return u + mean + noise;
}

}  // namespace ax::inject
