#include "axtrain/inject/error_model.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "axtrain/core/errors.h"
#include "axtrain/inject/inject_op.h"

namespace ax::inject {

BinGrid polarity_bins(double umax, double bin_width, std::int64_t bins) {
  umax = std::max(umax, 1e-12);
  if (bin_width <= 0) return {umax, bins};
  const std::int64_t n = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(umax / bin_width)) + 1);
  return {static_cast<double>(n) * bin_width, n};
}

ErrorModel::ErrorModel() { calibrated_ = register_buffer("calibrated", torch::zeros({}, torch::kBool)); }

nlohmann::json ErrorModel::calibrate(const Polarities&, const Polarities&) {
  throw std::logic_error("this error model has no per-polarity fit (type 2 fits the net output)");
}

torch::Tensor ErrorModel::apply(const Polarities&, const rng::Stream&) {
  throw std::logic_error("this error model has no per-polarity injection (type 2 injects on the net output)");
}

torch::Tensor polyfit(const torch::Tensor& x, const torch::Tensor& y, std::int64_t degree, const torch::Tensor& weight) {
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
  torch::Tensor rhs = yd.unsqueeze(1);
  if (weight.defined()) {
    torch::Tensor wt = weight.to(torch::kFloat64).flatten().unsqueeze(1);
    V = V * wt;
    rhs = rhs * wt;
  }
  torch::Tensor a = std::get<0>(torch::linalg_lstsq(V, rhs, c10::nullopt, "gelsd")).flatten();
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

std::vector<double> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Type 1, shared by the polynomial and the table fits: what is binned, over which range, and
// how the fitted curves are injected on one tensor of u.
class Type1Model : public ErrorModel {
 public:
  explicit Type1Model(const ErrorModelOptions& o) : o_(o) {
    range_ = register_buffer("range", torch::zeros({2}, torch::kFloat64));
  }
  Kind kind() const override { return Kind::Polynomial; }
  Gradient gradient() const override { return o_.gradient; }
  bool per_polarity() const override { return o_.per_polarity; }

  // Net-output fit: `bins` equal-width bins over the observed range of u.
  nlohmann::json calibrate(const torch::Tensor& u_in, const torch::Tensor& exact) override {
    torch::NoGradGuard g;
    torch::Tensor u = u_in.detach().flatten().to(torch::kFloat64);
    torch::Tensor e = exact.detach().flatten().to(torch::kFloat64) - u;
    double lo = u.min().item<double>(), hi = u.max().item<double>();
    if (!(hi > lo)) hi = lo + 1e-12;
    nlohmann::json j = fit_bins(u, e, lo, hi, o_.bins, lo, hi);
    j["split"] = "output";
    return j;
  }

  // Per-polarity fit: both polarities' (u, r − u) pooled, bins from 0.
  nlohmann::json calibrate(const Polarities& up, const Polarities& ex) override {
    torch::NoGradGuard g;
    torch::Tensor u = torch::cat({up.pos.detach().flatten(), up.neg.detach().flatten()}).to(torch::kFloat64);
    torch::Tensor r = torch::cat({ex.pos.detach().flatten(), ex.neg.detach().flatten()}).to(torch::kFloat64);
    torch::Tensor e = r - u;
    const double umax = std::max(u.numel() ? u.max().item<double>() : 0.0, 1e-12);
    const BinGrid grid = polarity_bins(umax, up.bin_width, o_.bins);
    nlohmann::json j = fit_bins(u, e, 0.0, grid.hi, grid.bins, std::max(0.0, u.min().item<double>()), umax);
    j["split"] = "polarity";
    j["scale"] = up.scale;
    return j;
  }

  torch::Tensor apply(const torch::Tensor& u, const rng::Stream& noise) override {
    if (!calibrated()) return u;
    return inject_one(u, noise);
  }

  torch::Tensor apply(const Polarities& u, const rng::Stream& noise) override {
    if (!calibrated()) return (u.pos - u.neg) * u.scale;
    return (inject_one(u.pos, noise.sub(0)) - inject_one(u.neg, noise.sub(1))) * u.scale;
  }

 protected:
  struct Bins {
    torch::Tensor centre, count, mean, std, valid;  // valid: bins with ≥ kMinBinCount samples
  };
  // Fits the curves to the valid bins; returns fit-specific record entries.
  virtual nlohmann::json fit(const Bins& b) = 0;
  virtual torch::Tensor inject_one(const torch::Tensor& u, const rng::Stream& noise) const = 0;

  ErrorModelOptions o_;
  torch::Tensor range_;  // ũ = clamp(u, range)

 private:
  // Bins [lo, hi) into `bins` equal parts (values beyond go to the end bins), per bin mean and
  // std of e, then fit(); ũ is later clamped to [ulo, uhi].
  nlohmann::json fit_bins(const torch::Tensor& u, const torch::Tensor& e, double lo, double hi, std::int64_t bins,
                          double ulo, double uhi) {
    const std::int64_t B = bins;
    const double width = (hi - lo) / static_cast<double>(B);
    torch::Tensor idx = ((u - lo) / width).floor().clamp(0, B - 1).to(torch::kInt64);
    Bins b;
    b.count = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, torch::ones_like(e));
    torch::Tensor sum = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, e);
    torch::Tensor sq = torch::zeros({B}, torch::kFloat64).index_add_(0, idx, e * e);
    b.mean = sum / b.count.clamp_min(1);
    b.std = ((sq - b.count * b.mean * b.mean) / (b.count - 1).clamp_min(1)).clamp_min(0).sqrt();
    b.centre = lo + (torch::arange(B, torch::kFloat64) + 0.5) * width;
    b.valid = b.count >= static_cast<double>(kMinBinCount);
    if (b.valid.sum().item<std::int64_t>() == 0) b.valid = b.count > 1;  // tiny calibration batches
    nlohmann::json j = fit(b);
    range_[0] = ulo;
    range_[1] = uhi;
    calibrated_.fill_(true);
    j["range"] = {ulo, uhi};
    j["error_mean"] = e.numel() ? e.mean().item<double>() : 0.0;
    j["error_std"] = e.numel() > 1 ? e.std().item<double>() : 0.0;
    j["bins"] = {{"centre", to_vector(b.centre)}, {"count", to_vector(b.count)}, {"mean", to_vector(b.mean)},
                 {"std", to_vector(b.std)}};
    return j;
  }
};

// Least-squares polynomials (weights √count) of degree ≤ min(degree, ⌊(valid bins − 1) / 2⌋).
class PolynomialErrorModel final : public Type1Model {
 public:
  explicit PolynomialErrorModel(const ErrorModelOptions& o) : Type1Model(o) {
    mean_ = register_buffer("mean_coef", torch::zeros({o.degree + 1}, torch::kFloat64));
    std_ = register_buffer("std_coef", torch::zeros({o.degree + 1}, torch::kFloat64));
  }

 private:
  nlohmann::json fit(const Bins& b) override {
    const std::int64_t nvalid = b.valid.sum().item<std::int64_t>();
    const std::int64_t degree = std::min<std::int64_t>(o_.degree, std::max<std::int64_t>(0, (nvalid - 1) / 2));
    torch::Tensor vc = b.centre.masked_select(b.valid), vw = b.count.masked_select(b.valid).sqrt();
    mean_.zero_();  // coefficients above the guarded degree stay 0
    std_.zero_();
    mean_.narrow(0, 0, degree + 1).copy_(polyfit(vc, b.mean.masked_select(b.valid), degree, vw));
    std_.narrow(0, 0, degree + 1).copy_(polyfit(vc, b.std.masked_select(b.valid), degree, vw));
    return {{"kind", "polynomial"}, {"fit", "polynomial"}, {"degree", degree}, {"mean_coef", to_vector(mean_)},
            {"std_coef", to_vector(std_)}};
  }

  torch::Tensor inject_one(const torch::Tensor& u, const rng::Stream& noise) const override {
    PolyInjectArgs a{mean_, std_, range_[0].item<double>(), range_[1].item<double>(),
                     o_.gradient == Gradient::Corrected, noise};
    return o_.checkpoint ? poly_inject(u, a) : poly_inject_composed(u, a);
  }

  torch::Tensor mean_, std_;
};

// The valid bins' means and stds themselves: an element gets the mean and std of the valid bin
// whose centre is nearest (its own bin when that is valid), a histogram model with no curve shape
// assumed; the corrected gradient takes b′ from the means linearly interpolated between the valid
// centres (0 beyond the outer ones). Per uniform bin the nearest valid bin's mean and std, per half
// bin the slope (inject_op.h table_inject), in fixed-size buffers so checkpoints load.
class TableErrorModel final : public Type1Model {
 public:
  static constexpr std::int64_t kMaxBins = 1024;
  explicit TableErrorModel(const ErrorModelOptions& o) : Type1Model(o) {
    mean_ = register_buffer("table_mean", torch::zeros({kMaxBins}, torch::kFloat64));
    std_ = register_buffer("table_std", torch::zeros({kMaxBins}, torch::kFloat64));
    slope_ = register_buffer("table_slope", torch::zeros({2 * kMaxBins}, torch::kFloat64));
    grid_ = register_buffer("table_grid", torch::zeros({3}, torch::kFloat64));  // lo, width, bins
  }

 private:
  nlohmann::json fit(const Bins& b) override {
    const std::int64_t B = b.centre.numel();
    if (B > kMaxBins)
      throw std::runtime_error("inject: the table fit holds at most 1024 bins; this layer's u needs " +
                               std::to_string(B) + " (lower inject.bins, or use fit: polynomial)");
    const std::vector<double> c = to_vector(b.centre), m = to_vector(b.mean), s = to_vector(b.std);
    const std::vector<double> valid = to_vector(b.valid);
    std::vector<std::size_t> v;  // the valid bins
    for (std::size_t j = 0; j < valid.size(); ++j)
      if (valid[j] != 0.0) v.push_back(j);
    const double width = B > 1 ? c[1] - c[0] : 1.0, lo = c[0] - 0.5 * width;
    std::vector<double> mean(static_cast<std::size_t>(kMaxBins), 0.0), sd(mean.size(), 0.0), slope(2 * mean.size(), 0.0);
    std::size_t k = 0;  // nearest valid bin of bin j (ties: the lower)
    auto dist = [](std::size_t a, std::size_t b) { return a > b ? a - b : b - a; };
    for (std::size_t j = 0; j < static_cast<std::size_t>(B); ++j) {
      while (k + 1 < v.size() && dist(v[k + 1], j) < dist(v[k], j)) ++k;
      mean[j] = m[v[k]];
      sd[j] = s[v[k]];
    }
    for (std::size_t q = 0; q + 1 < v.size(); ++q) {  // half bins between consecutive valid centres
      const double d = (m[v[q + 1]] - m[v[q]]) / (c[v[q + 1]] - c[v[q]]);
      for (std::size_t h = 2 * v[q] + 1; h <= 2 * v[q + 1]; ++h) slope[h] = d;
    }
    mean_.copy_(torch::tensor(mean, torch::kFloat64));
    std_.copy_(torch::tensor(sd, torch::kFloat64));
    slope_.copy_(torch::tensor(slope, torch::kFloat64));
    grid_.copy_(torch::tensor({lo, width, static_cast<double>(B)}, torch::kFloat64));
    return {{"kind", "polynomial"}, {"fit", "table"}, {"table_bins", static_cast<std::int64_t>(v.size())}};
  }

  torch::Tensor inject_one(const torch::Tensor& u, const rng::Stream& noise) const override {
    const std::int64_t B = static_cast<std::int64_t>(grid_[2].item<double>());
    if (B == 0) return u;
    TableInjectArgs a{mean_.narrow(0, 0, B), std_.narrow(0, 0, B), slope_.narrow(0, 0, 2 * B),
                      grid_[0].item<double>(), grid_[1].item<double>(), o_.gradient == Gradient::Corrected, noise};
    return o_.checkpoint ? table_inject(u, a) : table_inject_composed(u, a);
  }

  torch::Tensor mean_, std_, slope_, grid_;
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

  torch::Tensor apply(const torch::Tensor& u, const rng::Stream& noise) override {
    if (!calibrated()) return u;
    return gaussian_inject(u, stats_[0].item<double>(), stats_[1].item<double>(), noise);  // noise: no gradient
  }

 private:
  Gradient gradient_;
  torch::Tensor stats_;
};

}  // namespace

std::shared_ptr<ErrorModel> make_error_model(const ErrorModelOptions& options) {
  ErrorModelOptions o = options;
  if (o.gradient == Gradient::Auto) o.gradient = o.kind == Kind::Gaussian ? Gradient::Proxy : Gradient::Corrected;
  if (o.kind == Kind::Gaussian) {
    if (o.gradient == Gradient::Corrected)
      throw ConfigError("inject.gradient: corrected needs the polynomial error model; the gaussian one takes "
                        "reference or proxy");
    return std::make_shared<GaussianErrorModel>(o.gradient);
  }
  if (o.gradient == Gradient::Reference)
    throw ConfigError("inject.gradient: reference applies to the gaussian error model; the polynomial one takes "
                      "corrected or proxy");
  if (o.fit == Fit::Table) return std::make_shared<TableErrorModel>(o);
  return std::make_shared<PolynomialErrorModel>(o);
}

}  // namespace ax::inject
