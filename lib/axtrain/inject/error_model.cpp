#include "axtrain/inject/error_model.h"

#include <cmath>

#include "axtrain/core/errors.h"
#include "axtrain/inject/inject_op.h"

namespace ax::inject {

ErrorModel::ErrorModel() { calibrated_ = register_buffer("calibrated", torch::zeros({}, torch::kBool)); }

torch::Tensor polyfit(const torch::Tensor& x, const torch::Tensor& y, std::int64_t degree) {
  torch::Tensor xd = x.to(torch::kFloat64).flatten(), yd = y.to(torch::kFloat64).flatten();
  std::int64_t n = xd.numel();
  std::int64_t d = std::min<std::int64_t>(degree, std::max<std::int64_t>(n - 1, 0));
  torch::Tensor coef = torch::zeros({degree + 1}, torch::kFloat64);
  if (n == 0) return coef;
  // Centre and scale x for conditioning, solve, then expand back to powers of x.
  double lo = xd.min().item<double>(), hi = xd.max().item<double>();
  double c = 0.5 * (lo + hi), s = hi > lo ? 0.5 * (hi - lo) : 1.0;
  torch::Tensor t = (xd - c) / s;
  torch::Tensor V = torch::stack([&] {
    std::vector<torch::Tensor> cols;
    for (std::int64_t k = 0; k <= d; ++k) cols.push_back(t.pow(static_cast<double>(k)));
    return cols;
  }(), 1);
  torch::Tensor a = std::get<0>(torch::linalg_lstsq(V, yd.unsqueeze(1), c10::nullopt, "gelsd")).flatten();
  // a(t) with t = (x - c)/s → coefficients in x: Σ_k a_k ((x - c)/s)^k, expanded binomially.
  std::vector<double> out(static_cast<std::size_t>(degree + 1), 0.0);
  for (std::int64_t k = 0; k <= d; ++k) {
    double ak = a[k].item<double>() / std::pow(s, static_cast<double>(k));
    double binom = 1.0;
    for (std::int64_t j = 0; j <= k; ++j) {
      // term: ak · C(k, j) · x^j · (−c)^(k−j)
      out[static_cast<std::size_t>(j)] += ak * binom * std::pow(-c, static_cast<double>(k - j));
      binom = binom * static_cast<double>(k - j) / static_cast<double>(j + 1);
    }
  }
  return torch::tensor(out, torch::kFloat64);
}

torch::Tensor polyval(const torch::Tensor& coef, const torch::Tensor& x) {
  torch::Tensor c = coef.to(x.scalar_type());
  torch::Tensor y = torch::full_like(x, c[c.numel() - 1].item<double>());
  for (std::int64_t k = c.numel() - 2; k >= 0; --k) y = y * x + c[k].item<double>();
  return y;
}

namespace {

class PolynomialErrorModel final : public ErrorModel {
 public:
  explicit PolynomialErrorModel(const ErrorModelOptions& o) : o_(o) {
    mean_ = register_buffer("mean_coef", torch::zeros({o.degree + 1}, torch::kFloat64));
    std_ = register_buffer("std_coef", torch::zeros({o.degree + 1}, torch::kFloat64));
    range_ = register_buffer("range", torch::zeros({2}, torch::kFloat64));
  }
  Kind kind() const override { return Kind::Polynomial; }
  Gradient gradient() const override { return o_.gradient; }

  nlohmann::json calibrate(const torch::Tensor& u_in, const torch::Tensor& exact) override {
    torch::NoGradGuard g;
    torch::Tensor u = u_in.detach().flatten().to(torch::kFloat64);
    torch::Tensor e = exact.detach().flatten().to(torch::kFloat64) - u;
    double lo = u.min().item<double>(), hi = u.max().item<double>();
    if (!(hi > lo)) hi = lo + 1e-12;
    const std::int64_t B = o_.bins;
    torch::Tensor idx = ((u - lo) / (hi - lo) * static_cast<double>(B)).floor().clamp(0, B - 1).to(torch::kInt64);
    torch::Tensor cnt = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, torch::ones_like(e));
    torch::Tensor sum = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, e);
    torch::Tensor sq = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, e * e);
    torch::Tensor valid = cnt > 1;
    torch::Tensor mean = sum / cnt.clamp_min(1);
    torch::Tensor var = ((sq - cnt * mean * mean) / (cnt - 1).clamp_min(1)).clamp_min(0);
    torch::Tensor centre = lo + (torch::arange(B, torch::kFloat64) + 0.5) * ((hi - lo) / static_cast<double>(B));
    torch::Tensor vc = centre.masked_select(valid), vm = mean.masked_select(valid), vs = var.sqrt().masked_select(valid);
    mean_.copy_(polyfit(vc, vm, o_.degree));
    std_.copy_(polyfit(vc, vs, o_.degree));
    range_[0] = lo;
    range_[1] = hi;
    calibrated_.fill_(true);
    auto vec = [](const torch::Tensor& t) {
      torch::Tensor c = t.contiguous();
      return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    };
    return {{"kind", "polynomial"},
            {"mean_coef", vec(mean_)},
            {"std_coef", vec(std_)},
            {"range", {lo, hi}},
            {"error_mean", e.mean().item<double>()},
            {"error_std", e.std().item<double>()},
            {"bins", {{"centre", vec(centre)}, {"count", vec(cnt)}, {"mean", vec(mean)}, {"std", vec(var.sqrt())}}}};
  }

  torch::Tensor apply(const torch::Tensor& u) override {
    if (!calibrated()) return u;
    PolyInjectArgs a{mean_, std_, range_[0].item<double>(), range_[1].item<double>(),
                     o_.gradient == Gradient::Corrected};
    return o_.checkpoint ? poly_inject(u, a) : poly_inject_composed(u, a);
  }

 private:
  ErrorModelOptions o_;
  torch::Tensor mean_, std_, range_;
};

class GaussianErrorModel final : public ErrorModel {
 public:
  explicit GaussianErrorModel(Gradient gradient) : gradient_(gradient) {
    stats_ = register_buffer("mean_std", torch::zeros({2}, torch::kFloat64));
  }
  Kind kind() const override { return Kind::Gaussian; }
  Gradient gradient() const override { return gradient_; }

  nlohmann::json calibrate(const torch::Tensor& u, const torch::Tensor& exact) override {
    torch::NoGradGuard g;
    torch::Tensor e = (exact.detach() - u.detach()).to(torch::kFloat64);
    double mu = e.mean().item<double>(), sd = e.numel() > 1 ? e.std().item<double>() : 0.0;
    stats_[0] = mu;
    stats_[1] = sd;
    calibrated_.fill_(true);
    return {{"kind", "gaussian"}, {"mean", mu}, {"variance", sd * sd}, {"elements", e.numel()}};
  }

  torch::Tensor apply(const torch::Tensor& u) override {
    if (!calibrated()) return u;
    return gaussian_inject(u, stats_[0].item<double>(), stats_[1].item<double>());  // noise: no gradient
  }

 private:
  Gradient gradient_;
  torch::Tensor stats_;
};

}  // namespace

std::shared_ptr<ErrorModel> make_error_model(const ErrorModelOptions& options) {
  ErrorModelOptions o = options;
  if (o.gradient == Gradient::Auto) o.gradient = o.kind == Kind::Gaussian ? Gradient::Reference : Gradient::Corrected;
  if (o.kind == Kind::Gaussian) {
    if (o.gradient == Gradient::Corrected)
      throw ConfigError("inject.gradient: corrected needs the polynomial error model; the gaussian one takes "
                        "reference or proxy");
    return std::make_shared<GaussianErrorModel>(o.gradient);
  }
  if (o.gradient == Gradient::Reference)
    throw ConfigError("inject.gradient: reference applies to the gaussian error model; the polynomial one takes "
                      "corrected or proxy");
  return std::make_shared<PolynomialErrorModel>(o);
}

}  // namespace ax::inject
