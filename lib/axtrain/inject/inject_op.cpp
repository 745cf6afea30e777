#include "axtrain/inject/inject_op.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "axtrain/inject/error_model.h"

namespace ax::inject {

namespace {

std::vector<double> coefs(const torch::Tensor& c) {
  torch::Tensor d = c.to(torch::kFloat64).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

template <class T>
inline T horner(const double* c, std::int64_t n, T x) {
  T y = static_cast<T>(c[n - 1]);
  for (std::int64_t k = n - 2; k >= 0; --k) y = y * x + static_cast<T>(c[k]);
  return y;
}

template <class T>
inline T horner_derivative(const double* c, std::int64_t n, T x) {
  if (n < 2) return T(0);
  T y = static_cast<T>(c[n - 1] * static_cast<double>(n - 1));
  for (std::int64_t k = n - 2; k >= 1; --k) y = y * x + static_cast<T>(c[k] * static_cast<double>(k));
  return y;
}

class PolyInjectFn : public torch::autograd::Function<PolyInjectFn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u_in,
                               const torch::Tensor& mean_coef, const torch::Tensor& std_coef, double lo, double hi,
                               bool corrected) {
    torch::Tensor u = u_in.contiguous();
    torch::Tensor eps = torch::randn(u.sizes(), u.options());
    torch::Tensor y = torch::empty_like(u);
    std::vector<double> mc = coefs(mean_coef), sc = coefs(std_coef);
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "poly_inject", [&] {
      const scalar_t* pu = u.data_ptr<scalar_t>();
      const scalar_t* pe = eps.data_ptr<scalar_t>();
      scalar_t* py = y.data_ptr<scalar_t>();
      const auto nm = static_cast<std::int64_t>(mc.size()), ns = static_cast<std::int64_t>(sc.size());
      const scalar_t l = static_cast<scalar_t>(lo), h = static_cast<scalar_t>(hi);
      at::parallel_for(0, u.numel(), 4096, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) {
          scalar_t x = std::min(std::max(pu[i], l), h);
          scalar_t s = horner<scalar_t>(sc.data(), ns, x);
          py[i] = pu[i] + horner<scalar_t>(mc.data(), nm, x) + (s > 0 ? s : scalar_t(0)) * pe[i];
        }
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
    if (!ctx->saved_data["corrected"].toBool()) return {g, {}, {}, {}, {}, {}};
    auto saved = ctx->get_saved_variables();
    torch::Tensor u = saved[0];
    std::vector<double> mc = coefs(saved[1]);
    const double lo = ctx->saved_data["lo"].toDouble(), hi = ctx->saved_data["hi"].toDouble();
    torch::Tensor gc = g.contiguous(), out = torch::empty_like(u);
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "poly_inject_backward", [&] {
      const scalar_t* pu = u.data_ptr<scalar_t>();
      const scalar_t* pg = gc.data_ptr<scalar_t>();
      scalar_t* po = out.data_ptr<scalar_t>();
      const auto nm = static_cast<std::int64_t>(mc.size());
      const scalar_t l = static_cast<scalar_t>(lo), h = static_cast<scalar_t>(hi);
      at::parallel_for(0, u.numel(), 4096, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) {
          scalar_t x = pu[i];
          scalar_t d = (x >= l && x <= h) ? horner_derivative<scalar_t>(mc.data(), nm, x) : scalar_t(0);
          po[i] = pg[i] * (scalar_t(1) + d);
        }
      });
    });
    return {out, {}, {}, {}, {}, {}};
  }
};

}  // namespace

torch::Tensor poly_inject(const torch::Tensor& u, const PolyInjectArgs& a) {
  return PolyInjectFn::apply(u, a.mean_coef, a.std_coef, a.lo, a.hi, a.corrected_gradient);
}

torch::Tensor poly_inject_composed(const torch::Tensor& u, const PolyInjectArgs& a) {
  torch::Tensor eps = torch::randn(u.sizes(), u.options());
  torch::Tensor x = torch::clamp(u, a.lo, a.hi);
  torch::Tensor mean = polyval(a.mean_coef, x);
  torch::Tensor sd = torch::relu(polyval(a.std_coef, x));
  torch::Tensor noise = (sd * eps).detach();
  if (!a.corrected_gradient) mean = mean.detach();
  return u + mean + noise;
}

}  // namespace ax::inject
