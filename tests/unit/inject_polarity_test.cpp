// Error injection fitted the way the error arises (issue 13 part 3, PAPERS.md §7.6–7.7):
//  - the per-polarity type-1 fit recovers planted per-polarity error curves, and injects
//    scale·[(u⁺ + b(u⁺) + σ(u⁺)ε⁺) − (u⁻ + b(u⁻) + σ(u⁻)ε⁻)] with gradient scale·(1 + b′(u±));
//  - SC's accurate polarities are the two OR counts (against exact() of the layer with the other
//    polarity's weights removed, fixed scales so the streams are the same);
//  - approx_mul's are the sign-split sums of the multiplier (against a scalar loop over the DRUM
//    formula written independently of drum.cpp);
//  - analog's type-2 reference is the convolution of the quantised operands (against the integer
//    codes of trace()), its Gaussian fits the ADC error alone, and its default gradient is the
//    proxy's (G-22).
#include <cmath>

#include <gtest/gtest.h>

#include "axtrain/inject/error_model.h"
#include "axtrain/inject/inject_op.h"
#include "test_util.h"

namespace ax {
namespace {

// Planted per-polarity error on u ∈ [0, 1): mean b(u) = 0.02 − 0.1u + 0.06u², std σ(u) = 0.01 + 0.03u.
double pol_b_true(double u) { return 0.02 - 0.1 * u + 0.06 * u * u; }
double pol_db_true(double u) { return -0.1 + 0.12 * u; }
double pol_s_true(double u) { return 0.01 + 0.03 * u; }

std::shared_ptr<inject::ErrorModel> planted_polarity_model(double scale, inject::Fit fit = inject::Fit::Polynomial) {
  torch::manual_seed(11);
  const std::int64_t n = 300000;
  inject::Polarities u, r;
  u.pos = torch::rand({n}, torch::kFloat64) * 0.999;
  u.neg = torch::rand({n}, torch::kFloat64) * 0.999;
  auto err = [](const torch::Tensor& t) {
    return 0.02 - 0.1 * t + 0.06 * t * t + (0.01 + 0.03 * t) * torch::randn_like(t);
  };
  r.pos = u.pos + err(u.pos);
  r.neg = u.neg + err(u.neg);
  u.scale = r.scale = scale;
  u.bin_width = r.bin_width = 0.1;
  inject::ErrorModelOptions o;
  o.fit = fit;
  auto m = inject::make_error_model(o);
  nlohmann::json rec = m->calibrate(u, r);
  EXPECT_EQ(rec["split"], "polarity");
  EXPECT_EQ(rec["bins"]["count"].size(), 10u);  // width 0.1 over [0, 1)
  if (fit == inject::Fit::Polynomial) EXPECT_EQ(rec["degree"].get<int>(), 4);  // the guard: ⌊(10 valid bins − 1) / 2⌋
  else EXPECT_EQ(rec["table_bins"].get<int>(), 10);
  return m;
}

TEST(InjectPolarity, FitRecoversPlantedCurvesAndInjectsPerPolarity) {
  const double scale = 2.5;
  auto m = planted_polarity_model(scale);
  torch::manual_seed(12);
  for (auto [up, un] : {std::pair{0.15, 0.72}, std::pair{0.55, 0.05}, std::pair{0.9, 0.9}}) {
    inject::Polarities u;
    u.scale = scale;
    u.pos = torch::full({200000}, up, torch::kFloat32);
    u.neg = torch::full({200000}, un, torch::kFloat32);
    torch::Tensor e = (m->apply(u, rng::Stream{12, 0}) / scale - (up - un)).to(torch::kFloat64);
    // independent ε⁺, ε⁻: mean b(u⁺) − b(u⁻), variance σ²(u⁺) + σ²(u⁻)
    EXPECT_NEAR(e.mean().item<double>(), pol_b_true(up) - pol_b_true(un), 2e-3) << up << " " << un;
    EXPECT_NEAR(e.var().item<double>(), pol_s_true(up) * pol_s_true(up) + pol_s_true(un) * pol_s_true(un), 2e-4) << up << " " << un;
  }
}

TEST(InjectPolarity, CorrectedGradientPerPolarity) {
  const double scale = 2.5;
  auto m = planted_polarity_model(scale);
  inject::Polarities u;
  u.scale = scale;
  torch::Tensor p0 = torch::tensor({0.1, 0.3, 0.5, 0.8}, torch::kFloat64);
  torch::Tensor n0 = torch::tensor({0.6, 0.2, 0.45, 0.05}, torch::kFloat64);
  u.pos = p0.clone().requires_grad_(true);
  u.neg = n0.clone().requires_grad_(true);
  m->apply(u, rng::Stream{}).sum().backward();
  for (std::int64_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(u.pos.grad()[i].item<double>(), scale * (1 + pol_db_true(p0[i].item<double>())), 0.02) << i;
    EXPECT_NEAR(u.neg.grad()[i].item<double>(), -scale * (1 + pol_db_true(n0[i].item<double>())), 0.02) << i;
  }
}

// The table fit: an element gets its bin's mean and std, i.e. over u uniform in the bin
// [a, a + 0.1): mean = E[b(u)], variance = E[σ²(u)] + Var[b(u)] (midpoint rule on a fine grid, the
// closed form of the planted curves); the gradient is 1 + the slope of the means interpolated
// between bin centres ≈ b′(u) (b is quadratic: the chord slope equals b′ at the midpoint).
TEST(InjectPolarity, TableFitInjectsEachBinsOwnStatistics) {
  const double scale = 1.5;
  auto m = planted_polarity_model(scale, inject::Fit::Table);
  auto bin_stats = [](double a) {
    double eb = 0, eb2 = 0, es2 = 0;
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
      const double u = a + 0.1 * (i + 0.5) / n;
      eb += pol_b_true(u) / n;
      eb2 += pol_b_true(u) * pol_b_true(u) / n;
      es2 += pol_s_true(u) * pol_s_true(u) / n;
    }
    return std::pair{eb, es2 + eb2 - eb * eb};
  };
  torch::manual_seed(16);
  for (double up : {0.13, 0.47, 0.91}) {
    inject::Polarities u;
    u.scale = scale;
    u.pos = torch::full({200000}, up, torch::kFloat32);
    u.neg = torch::zeros({200000}, torch::kFloat32) + 0.55;
    torch::Tensor e = (m->apply(u, rng::Stream{16, 0}) / scale - (up - 0.55)).to(torch::kFloat64);
    auto [bp, vp] = bin_stats(std::floor(up * 10) / 10);
    auto [bn, vn] = bin_stats(0.5);
    EXPECT_NEAR(e.mean().item<double>(), bp - bn, 2e-3) << up;
    EXPECT_NEAR(e.var().item<double>(), vp + vn, 2e-4) << up;
  }
  inject::Polarities g;
  g.scale = scale;
  torch::Tensor p0 = torch::tensor({0.22, 0.5, 0.71}, torch::kFloat64);
  g.pos = p0.clone().requires_grad_(true);
  g.neg = torch::full({3}, 0.3, torch::kFloat64).requires_grad_(true);
  m->apply(g, rng::Stream{}).sum().backward();
  for (std::int64_t i = 0; i < 3; ++i)
    EXPECT_NEAR(g.pos.grad()[i].item<double>(), scale * (1 + pol_db_true(p0[i].item<double>())), 0.03) << i;
}

// The fused table op and its composed form: the same values for the same seed, the same gradients.
TEST(InjectPolarity, CheckpointedAndComposedTableOpsAgree) {
  inject::TableInjectArgs a{torch::tensor({0.1, -0.2, 0.05}, torch::kFloat64), torch::tensor({0.01, 0.02, 0.0}, torch::kFloat64),
                            torch::tensor({0.0, 0.3, 0.3, -0.5, -0.5, 0.0}, torch::kFloat64), -1.0, 1.0, true};
  for (bool corrected : {true, false}) {
    a.corrected_gradient = corrected;
    torch::Tensor u0 = torch::rand({50, 40}) * 4.0 - 1.5, gout = torch::randn({50, 40});
    torch::Tensor u1 = u0.clone().requires_grad_(true), u2 = u0.clone().requires_grad_(true);
    torch::manual_seed(17);
    torch::Tensor y1 = inject::table_inject(u1, a);
    torch::manual_seed(17);
    torch::Tensor y2 = inject::table_inject_composed(u2, a);
    EXPECT_TRUE(torch::allclose(y1, y2, 1e-6, 1e-6)) << corrected;
    (y1 * gout).sum().backward();
    (y2 * gout).sum().backward();
    EXPECT_TRUE(torch::allclose(u1.grad(), u2.grad(), 1e-6, 1e-6)) << corrected;
  }
  // bin j of u: u = −0.6 is in bin 0 (mean 0.1), u = 0.4 in bin 1 (−0.2), u = 5 beyond → bin 2
  torch::Tensor u = torch::tensor({-0.6, 0.4, 5.0}, torch::kFloat64).requires_grad_(true);
  a.corrected_gradient = true;
  torch::Tensor y = inject::table_inject(u, a);
  EXPECT_NEAR(y[2].item<double>(), 5.05, 1e-12);  // std 0 there: no noise
  y.sum().backward();
  // half bins of width 0.5 from −1: −0.6 → h 0 (slope 0), 0.4 → h 2 (0.3), 5 → h 5 (0)
  EXPECT_NEAR(u.grad()[0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(u.grad()[1].item<double>(), 1.3, 1e-12);
  EXPECT_NEAR(u.grad()[2].item<double>(), 1.0, 1e-12);
}

// An SC layer's injection step with checkpointing (the per-polarity 1 − e^(−X/c) as a custom
// function that keeps only X) and without (ordinary ops): same values, same gradients. (The error
// model's own fused and composed table ops: CheckpointedAndComposedTableOpsAgree.)
TEST(InjectPolarity, ScInjectionStepIsTheSameCheckpointedOrNot) {
  auto hw = test::make_hw("{type: sc, input: {scale: max_abs}, weight: {scale: max_abs}}");
  hw::MacOp op{hw::MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(18);
  torch::Tensor x0 = torch::rand({2, 3, 6, 6}), w0 = torch::randn({4, 3, 3, 3}) * 0.3, g = torch::randn({2, 4, 6, 6});
  hw->set_error_model(inject::make_error_model({}));
  hw->request_calibration(true);
  hw->forward(x0, w0, op, hw::Mode::Inject);
  hw->request_calibration(false);
  std::vector<torch::Tensor> values, gx, gw;
  for (bool on : {true, false}) {
    hw->set_checkpointing(on);
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::manual_seed(19);
    torch::Tensor y = hw->forward(x, w, op, hw::Mode::Inject);
    (y * g).sum().backward();
    values.push_back(y.detach());
    gx.push_back(x.grad());
    gw.push_back(w.grad());
  }
  EXPECT_TRUE(torch::allclose(values[0], values[1], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(gx[0], gx[1], 1e-4, 1e-6));
  EXPECT_TRUE(torch::allclose(gw[0], gw[1], 1e-4, 1e-6));
  EXPECT_GT(gw[0].abs().sum().item<double>(), 0.0);
}

// SC: r⁺ · L = popcount(OR of the W⁺ products) = the counts of exact() with W⁻ removed, r⁻ · L =
// −counts with W⁺ removed (fixed steps: removing a polarity changes no level, and the phases do
// not depend on the levels), for conv and linear layers, scatter and state phases.
TEST(InjectPolarity, ScAccuratePolaritiesAreTheTwoOrCounts) {
  for (const char* phase : {"scatter", "state"}) {
    auto hw = test::make_hw(std::string("{type: sc, phase: {mode: ") + phase +
                            "}, input: {scale: 0.03125}, weight: {scale: 0.03125}}");
    torch::manual_seed(13);
    for (bool conv : {true, false}) {
      hw::MacOp op = conv ? hw::MacOp{hw::MacOp::Kind::Conv2d, 1, 1} : hw::MacOp{hw::MacOp::Kind::Linear};
      torch::Tensor x = conv ? torch::rand({3, 4, 6, 6}) * 0.6 : torch::rand({5, 40}) * 0.6;
      torch::Tensor w = conv ? torch::randn({6, 4, 3, 3}) * 0.3 : torch::randn({7, 40}) * 0.2;
      torch::NoGradGuard g;
      std::optional<inject::Polarities> r = hw->exact_polarities(x, w, op);
      ASSERT_TRUE(r.has_value());
      const double c = 0.03125 * 0.03125 * 32 * 32;
      EXPECT_DOUBLE_EQ(r->scale, c);
      // exact() = counts · s_a · s_w · L, so counts = exact / (s_a · s_w · L)
      const double per_count = 0.03125 * 0.03125 * 32;
      torch::Tensor pos_counts = hw->exact(x, torch::clamp_min(w, 0.0), op) / per_count;
      torch::Tensor neg_counts = -hw->exact(x, -torch::relu(-w), op) / per_count;
      EXPECT_TRUE(torch::allclose(r->pos * 32, pos_counts, 0, 1e-3)) << phase << " conv=" << conv;
      EXPECT_TRUE(torch::allclose(r->neg * 32, neg_counts, 0, 1e-3)) << phase << " conv=" << conv;
      EXPECT_GT(r->neg.sum().item<double>(), 0.0);
      EXPECT_TRUE(torch::allclose((r->pos - r->neg) * r->scale, hw->exact(x, w, op), 1e-5, 1e-5));
      // the proxy's polarities recombine to the proxy
      std::optional<inject::Polarities> u = hw->proxy_polarities(x, w, op);
      ASSERT_TRUE(u.has_value());
      EXPECT_TRUE(torch::allclose((u->pos - u->neg) * u->scale, hw->proxy(x, w, op), 1e-5, 1e-5));
      EXPECT_GE(u->pos.min().item<double>(), 0.0);
      EXPECT_LT(u->pos.max().item<double>(), 1.0);
    }
  }
  EXPECT_FALSE(test::make_hw("{type: sc, encoding: bipolar}")->proxy_polarities(torch::rand({2, 4}), torch::rand({3, 4}),
                                                                                 hw::MacOp{hw::MacOp::Kind::Linear}));
}

// inject.split: polarity (the default) fits u± of hardware that has them; output fits the net
// proxy output of the same hardware, and injection then adds one noise term to it.
TEST(InjectPolarity, SplitOutputFitsTheNetOutput) {
  auto hw = test::make_hw("{type: approx_mul, multiplier: {type: drum, bits: 7, k: 3}, input: {bits: 8}, weight: {bits: 8, signed: true}}");
  hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::manual_seed(20);
  torch::Tensor x = torch::rand({64, 30}), w = torch::randn({5, 30});
  for (bool per_polarity : {true, false}) {
    inject::ErrorModelOptions o;
    o.per_polarity = per_polarity;
    hw->set_error_model(inject::make_error_model(o));
    hw->request_calibration(true);
    torch::Tensor y = hw->forward(x, w, op, hw::Mode::Inject);
    hw->request_calibration(false);
    EXPECT_EQ(hw->last_calibration()["split"], per_polarity ? "polarity" : "output");
    EXPECT_TRUE(torch::allclose(y, hw->exact(x, w, op), 1e-5, 1e-5));  // a calibration step returns exact()
    // the record's sample count: both polarities (2 · 64 · 5) or the net output (64 · 5)
    double n = 0;
    for (double c : hw->last_calibration()["bins"]["count"].get<std::vector<double>>()) n += c;
    EXPECT_EQ(n, per_polarity ? 640.0 : 320.0);
  }
}

// The DRUM(k) product written independently of drum.cpp (as in hw_approx_mul_test).
std::int64_t drum(std::int64_t a, std::int64_t b, int k) {
  auto approx = [k](std::int64_t v) -> std::int64_t {
    if (v < (std::int64_t{1} << k)) return v;
    int e;
    std::frexp(static_cast<double>(v), &e);
    const std::int64_t unit = std::int64_t{1} << ((e - 1) - k + 1);
    return unit * (2 * (v / (2 * unit)) + 1);
  };
  return approx(a) * approx(b);
}

// approx_mul: r⁺ = Σ over same-sign pairs of M(|a|, |w|), r⁻ over opposite-sign pairs (times the
// steps), from the operand codes of trace(), signed inputs included; the proxy's polarities are
// the same split of the exact products a·w.
TEST(InjectPolarity, ApproxMulAccuratePolaritiesAreTheSignSplitSums) {
  auto hw = test::make_hw("{type: approx_mul, multiplier: {type: drum, bits: 7, k: 3}, input: {bits: 8, signed: true}, "
                          "weight: {bits: 8, signed: true}}");
  hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::manual_seed(14);
  torch::Tensor x = torch::randn({4, 30}), w = torch::randn({5, 30});
  torch::NoGradGuard g;
  hw::IntegerTrace t = hw->trace(x, w, op);
  std::optional<inject::Polarities> r = hw->exact_polarities(x, w, op);
  std::optional<inject::Polarities> u = hw->proxy_polarities(x, w, op);
  ASSERT_TRUE(r && u);
  torch::Tensor a = t.input_int.to(torch::kInt64), b = t.weight_int.to(torch::kInt64);
  const double step = t.input_scale * t.weight_scale;
  for (std::int64_t n = 0; n < 4; ++n)
    for (std::int64_t o = 0; o < 5; ++o) {
      double pos = 0, neg = 0, upos = 0, uneg = 0;
      for (std::int64_t i = 0; i < 30; ++i) {
        const std::int64_t ai = a[n][i].item<std::int64_t>(), wi = b[o][i].item<std::int64_t>();
        const double m = static_cast<double>(drum(std::abs(ai), std::abs(wi), 3));
        const double e = static_cast<double>(std::abs(ai * wi));
        if (ai * wi > 0) pos += m, upos += e;
        if (ai * wi < 0) neg += m, uneg += e;
      }
      EXPECT_NEAR(r->pos[n][o].item<double>(), pos * step, 1e-4 * (1 + pos * step)) << n << "," << o;
      EXPECT_NEAR(r->neg[n][o].item<double>(), neg * step, 1e-4 * (1 + neg * step)) << n << "," << o;
      EXPECT_NEAR(u->pos[n][o].item<double>(), upos * step, 1e-4 * (1 + upos * step)) << n << "," << o;
      EXPECT_NEAR(u->neg[n][o].item<double>(), uneg * step, 1e-4 * (1 + uneg * step)) << n << "," << o;
    }
  EXPECT_EQ(r->bin_width, 0.0);  // equal-width bins over [0, max u]
}

// analog: reference = conv(codes) · s_a · s_w, the Gaussian fitted on exact − reference, and the
// default type-2 gradient is the proxy's.
TEST(InjectPolarity, AnalogReferenceIsTheConvOfQuantisedOperands) {
  auto hw = test::make_hw("{type: analog, adc_bits: 3, full_scale: max}");
  hw::MacOp op{hw::MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(15);
  torch::Tensor x = torch::rand({2, 3, 7, 7}), w = torch::randn({4, 3, 3, 3}) * 0.3;
  torch::NoGradGuard g;
  hw::IntegerTrace t = hw->trace(x, w, op);
  torch::Tensor ref = op.apply(t.input_int.to(torch::kFloat64), t.weight_int.to(torch::kFloat64)) *
                      (t.input_scale * t.weight_scale);
  torch::Tensor mine = hw->reference(x, w, op).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(mine, ref, 1e-6, 1e-6));
  EXPECT_GT((mine - op.apply(x, w).to(torch::kFloat64)).abs().max().item<double>(), 1e-4);  // not the float op

  inject::ErrorModelOptions o;
  o.kind = inject::Kind::Gaussian;
  auto m = inject::make_error_model(o);
  EXPECT_EQ(m->gradient(), inject::Gradient::Proxy);
  hw->set_error_model(m);
  hw->request_calibration(true);
  hw->forward(x, w, op, hw::Mode::Inject);
  hw->request_calibration(false);
  torch::Tensor e = hw->exact(x, w, op).to(torch::kFloat64) - ref;
  EXPECT_NEAR(hw->last_calibration()["mean"].get<double>(), e.mean().item<double>(), 1e-6);
  EXPECT_NEAR(hw->last_calibration()["variance"].get<double>(), e.var().item<double>(), 1e-6);
}

}  // namespace
}  // namespace ax
