// Error injection: calibration recovers planted error models; injected noise has the configured
// statistics; the checkpointed (fused) and composed point-wise ops agree in values and gradients;
// calibrations happen on schedule; resume across an inject → exact phase boundary.
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/inject/error_model.h"
#include "axtrain/inject/inject_op.h"
#include "axtrain/core/random.h"
#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/trainer.h"
#include "test_util.h"

namespace ax {
namespace {

using inject::Kind;

TEST(Inject, PolyfitRecoversAnExactCubic) {
  torch::Tensor x = torch::linspace(-1.0, 3.0, 9, torch::kFloat64);
  torch::Tensor y = 0.5 - 1.5 * x + 0.25 * x * x + 0.125 * x * x * x;
  torch::Tensor c = inject::polyfit(x, y, 3);
  EXPECT_NEAR(c[0].item<double>(), 0.5, 1e-9);
  EXPECT_NEAR(c[1].item<double>(), -1.5, 1e-9);
  EXPECT_NEAR(c[2].item<double>(), 0.25, 1e-9);
  EXPECT_NEAR(c[3].item<double>(), 0.125, 1e-9);
  // Too few points: the degree drops to points − 1 (a line through two points).
  torch::Tensor l = inject::polyfit(torch::tensor({0.0, 2.0}, torch::kFloat64), torch::tensor({1.0, 5.0}, torch::kFloat64), 5);
  EXPECT_NEAR(l[0].item<double>(), 1.0, 1e-9);
  EXPECT_NEAR(l[1].item<double>(), 2.0, 1e-9);
  EXPECT_NEAR(l[2].item<double>(), 0.0, 1e-12);
}

// Planted model: mean error b(u) = 0.1 − 0.2u + 0.05u², std σ(u) = 0.05 + 0.02u on u ∈ [0, 2].
double b_true(double u) { return 0.1 - 0.2 * u + 0.05 * u * u; }
double s_true(double u) { return 0.05 + 0.02 * u; }

std::shared_ptr<inject::ErrorModel> planted_poly(inject::ErrorModelOptions o = {}) {
  o.fit = inject::Fit::Polynomial;  // the table fit is the default (inject_polarity_test.cpp)
  torch::manual_seed(1);
  torch::Tensor u = torch::rand({400000}, torch::kFloat64) * 2.0;
  torch::Tensor e = 0.1 - 0.2 * u + 0.05 * u * u + (0.05 + 0.02 * u) * torch::randn({400000}, torch::kFloat64);
  auto m = inject::make_error_model(o);
  m->calibrate(u, u + e);
  return m;
}

TEST(Inject, CalibrationRecoversPlantedPolynomials) {
  inject::ErrorModelOptions o;
  o.degree = 5;
  auto m = planted_poly(o);
  auto bufs = m->named_buffers();
  torch::Tensor mc = *bufs.find("mean_coef"), sc = *bufs.find("std_coef");
  for (double u : {0.1, 0.5, 1.0, 1.5, 1.9}) {
    torch::Tensor t = torch::tensor({u}, torch::kFloat64);
    EXPECT_NEAR(inject::polyval(mc, t).item<double>(), b_true(u), 3e-3) << u;
    EXPECT_NEAR(inject::polyval(sc, t).item<double>(), s_true(u), 3e-3) << u;
  }
}

TEST(Inject, InjectedNoiseHasTheCalibratedStatistics) {
  auto m = planted_poly();
  torch::manual_seed(2);
  for (double c : {0.3, 1.2}) {
    torch::Tensor u = torch::full({200000}, c, torch::kFloat32);
    torch::Tensor y = m->apply(u, rng::Stream{2, 0}) - u;
    EXPECT_NEAR(y.mean().item<double>(), b_true(c), 3e-3) << c;
    EXPECT_NEAR(y.std().item<double>(), s_true(c), 3e-3) << c;
  }
}

TEST(Inject, GaussianCalibrationAndInjection) {
  inject::ErrorModelOptions o;
  o.kind = Kind::Gaussian;
  auto m = inject::make_error_model(o);
  torch::manual_seed(3);
  torch::Tensor u = torch::randn({300000});
  m->calibrate(u, u + (0.3 + 0.2 * torch::randn({300000})));
  torch::Tensor base = torch::zeros({300000});
  torch::Tensor y = m->apply(base, rng::Stream{3, 0});
  EXPECT_NEAR(y.mean().item<double>(), 0.3, 3e-3);
  EXPECT_NEAR(y.var().item<double>(), 0.04, 1e-3);
}

TEST(Inject, CheckpointedAndComposedOpsAgree) {
  auto m = planted_poly();
  auto bufs = m->named_buffers();
  for (bool corrected : {true, false}) {
    inject::PolyInjectArgs a{*bufs.find("mean_coef"), *bufs.find("std_coef"), 0.0, 2.0, corrected};
    torch::Tensor u0 = torch::rand({64, 33}) * 2.4 - 0.2;  // some values outside the range
    torch::Tensor g = torch::randn({64, 33});
    torch::Tensor u1 = u0.clone().requires_grad_(true), u2 = u0.clone().requires_grad_(true);
    torch::manual_seed(4);
    torch::Tensor y1 = inject::poly_inject(u1, a);
    torch::manual_seed(4);
    torch::Tensor y2 = inject::poly_inject_composed(u2, a);
    EXPECT_TRUE(torch::allclose(y1, y2, 1e-6, 1e-6)) << "values, corrected=" << corrected;
    (y1 * g).sum().backward();
    (y2 * g).sum().backward();
    EXPECT_TRUE(torch::allclose(u1.grad(), u2.grad(), 1e-5, 1e-6)) << "gradients, corrected=" << corrected;
  }
}

// The SC_act proxy's point-wise part as the checkpointed custom function and as ordinary ops.
TEST(Inject, CheckpointedAndComposedProxiesAgree) {
  auto hw = test::make_hw("{type: sc, input: {scale: max_abs}, weight: {scale: max_abs}}");
  hw::MacOp op{hw::MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(3);
  torch::Tensor x0 = torch::rand({2, 3, 6, 6}), w0 = torch::randn({4, 3, 3, 3}) * 0.3, g = torch::randn({2, 4, 6, 6});
  std::vector<torch::Tensor> values, gx, gw;
  for (bool on : {true, false}) {
    hw->set_checkpointing(on);
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::Tensor y = hw->forward(x, w, op, hw::Mode::Proxy);
    (y * g).sum().backward();
    values.push_back(y.detach());
    gx.push_back(x.grad());
    gw.push_back(w.grad());
  }
  EXPECT_TRUE(torch::allclose(values[0], values[1], 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(gx[0], gx[1], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(gw[0], gw[1], 1e-5, 1e-6));
  EXPECT_GT(gw[0].abs().sum().item<double>(), 0.0);
}

// Type 2 with the reference gradient: forward = plain op + N(μ, σ²), gradient = the plain op's.
TEST(Inject, GaussianReferenceGradientIsThePlainOps) {
  auto hw = test::make_hw("{type: fixed_point, input: {bits: 3}, weight: {bits: 3}}");
  inject::ErrorModelOptions o;
  o.kind = Kind::Gaussian;
  o.gradient = inject::Gradient::Reference;
  hw->set_error_model(inject::make_error_model(o));
  hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::manual_seed(5);
  torch::Tensor x = torch::rand({64, 6}).requires_grad_(true), w = torch::randn({4, 6}).requires_grad_(true);
  hw->request_calibration(true);
  hw->forward(x, w, op, hw::Mode::Inject);
  hw->request_calibration(false);
  const double mu = hw->last_calibration()["mean"].get<double>();
  const double sd = std::sqrt(hw->last_calibration()["variance"].get<double>());
  torch::Tensor y = hw->forward(x, w, op, hw::Mode::Inject);
  torch::Tensor e = (y - op.apply(x, w)).detach();
  EXPECT_NEAR(e.mean().item<double>(), mu, 4 * sd / 16 + 1e-9);  // 256 samples: 4 standard errors
  torch::Tensor g = torch::randn({64, 4});
  (y * g).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), g.mm(w.detach()), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(w.grad(), g.t().mm(x.detach()), 1e-5, 1e-6));
  // A gaussian model with the polynomial model's corrected gradient is a config error.
  o.gradient = inject::Gradient::Corrected;
  EXPECT_THROW(inject::make_error_model(o), ConfigError);
}

TEST(Inject, GaussianLayerForwardIsReferencePlusNoiseWithProxyGradient) {
  auto hw = test::make_hw("{type: fixed_point, input: {bits: 3}, weight: {bits: 3}}");
  inject::ErrorModelOptions o;
  o.kind = Kind::Gaussian;
  o.gradient = inject::Gradient::Proxy;
  hw->set_error_model(inject::make_error_model(o));
  hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::Tensor x = torch::rand({8, 6}).requires_grad_(true), w = torch::randn({4, 6}).requires_grad_(true);
  hw->request_calibration(true);
  torch::Tensor yc = hw->forward(x, w, op, hw::Mode::Inject);
  hw->request_calibration(false);
  ASSERT_FALSE(hw->last_calibration().is_null());
  // fixed_point's accurate output is the quantised op; the reference is the float op.
  torch::NoGradGuard g0;
  torch::Tensor err = hw->exact(x, w, op) - op.apply(x, w);
  EXPECT_NEAR(hw->last_calibration()["mean"].get<double>(), err.mean().item<double>(), 1e-6);
}

// PAPERS.md §7.6–7.7: type 1 (polynomial) for SC and approximate multipliers, type 2 (one
// Gaussian per layer) for analog.
TEST(Inject, EachHardwareCallsForItsErrorModelType) {
  EXPECT_EQ(test::make_hw("{type: sc}")->default_error_kind(), Kind::Polynomial);
  EXPECT_EQ(test::make_hw("{type: approx_mul, multiplier: {type: drum, bits: 8, k: 4}}")->default_error_kind(),
            Kind::Polynomial);
  EXPECT_EQ(test::make_hw("{type: analog}")->default_error_kind(), Kind::Gaussian);
}

run::RunConfig inject_config(const std::string& phases) {
  std::string text = R"(name: inj
seed: 3
data: {type: synthetic, shape: [1, 8, 8], classes: 3, train_size: 80, test_size: 40, batch_size: 10, noise: 0.1}
model: {type: mlp, hidden: [16]}
hardware: {type: fixed_point, input: {bits: 4}, weight: {bits: 4}}
optimizer: {type: adam, lr: 0.01}
phases: )" + phases + "\n";
  return run::parse_run_config(YAML::Load(text), "<test>");
}

struct CalibrationCount final : train::Observer {
  std::vector<std::int64_t> batches;
  void on_calibration(const train::CalibrationEvent& e) override {
    batches.push_back(e.global_batch);
    EXPECT_EQ(e.layers.size(), 2u);
  }
};

std::unique_ptr<train::Trainer> make_trainer(const run::RunConfig& c, std::unique_ptr<data::Dataset>& d,
                                             std::shared_ptr<models::Model>& m) {
  torch::manual_seed(c.seed);
  d = c.data.open(c.seed);
  m = c.model.build(d->input_shape(), d->num_classes());
  layers::attach_hardware(*m, c.hardware, c.seed);
  return std::make_unique<train::Trainer>(run::trainer_options(c), *d, m, torch::kCPU);
}

TEST(Inject, CalibrationsHappenOnSchedule) {
  // 8 batches per epoch; per_epoch 2 → every 4 batches of the phase; every_batches 3 → 0, 3, 6.
  for (auto [phases, expected] :
       std::vector<std::pair<std::string, std::vector<std::int64_t>>>{
           {"[{mode: inject, epochs: 2, calibrate: {per_epoch: 2}}]", {0, 4, 8, 12}},
           {"[{mode: ideal, epochs: 1}, {mode: inject, epochs: 1, calibrate: {every_batches: 3}}]", {8, 11, 14}},
           {"[{mode: inject, epochs: 1, calibrate: {per_epoch: 4, fraction: 0.5}}]", {0, 2, 4, 6}}}) {
    auto c = inject_config(phases);
    std::unique_ptr<data::Dataset> d;
    std::shared_ptr<models::Model> m;
    auto t = make_trainer(c, d, m);
    CalibrationCount count;
    t->add_observer(&count);
    t->run();
    EXPECT_EQ(count.batches, expected) << phases;
  }
}

struct Stop final : train::Observer {
  std::string file;
  void on_epoch(const train::EpochRecord& r, train::Trainer& t) override {
    if (r.epoch == 2) {
      t.save(file);
      throw std::runtime_error("stop");
    }
  }
};

TEST(Inject, ResumeAcrossTheInjectToFinetuneBoundary) {
  auto c = inject_config("[{name: inject, mode: inject, epochs: 1.5, calibrate: {per_epoch: 3}}, {name: finetune, epochs: 1.5}]");
  std::unique_ptr<data::Dataset> d1, d2, d3;
  std::shared_ptr<models::Model> m1, m2, m3;
  auto full = make_trainer(c, d1, m1);
  full->run();
  auto first = make_trainer(c, d2, m2);
  Stop stop;
  stop.file = test::temp_dir("inject-resume") + "/last.pt";
  first->add_observer(&stop);
  EXPECT_THROW(first->run(), std::runtime_error);
  auto resumed = make_trainer(c, d3, m3);
  resumed->load(stop.file);
  resumed->run();
  ASSERT_EQ(full->history().size(), resumed->history().size());
  for (std::size_t e = 0; e < full->history().size(); ++e) {
    EXPECT_EQ(full->history()[e].train.loss, resumed->history()[e].train.loss) << e;
    EXPECT_EQ(full->history()[e].test.accuracy, resumed->history()[e].test.accuracy) << e;
  }
}

}  // namespace
}  // namespace ax
