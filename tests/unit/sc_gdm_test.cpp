// SC-GDC / SC-GDM (train/sc_gdm.h) against closed forms: the ternary quantiser's mean r and
// variance |r| − r²; one optimizer step moves every weight by −Δ, 0 or +Δ with mean −lr·g; the
// momentum buffer adds μ·v; updates beyond one counter step saturate; the state round-trips.
// Per-sample steps (SC-GDC on Linear layers): on a planted sequence of inputs and output
// gradients the counters equal the closed-form sum of clipped per-sample rates within 5 binomial
// standard deviations; a batch moves a counter by up to ±B steps; the decomposition check falls
// back to per-batch steps; the config keys.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/nn/functional/loss.h>
#include <torch/serialize/archive.h>

#include "axtrain/core/errors.h"
#include "axtrain/layers/attach.h"
#include "axtrain/layers/mac_layer.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/optim.h"
#include "axtrain/train/sc_gdm.h"
#include "axtrain/core/random.h"
#include "test_util.h"

namespace ax::train {
namespace {

constexpr double kStep = 1.0 / 1024;

TEST(ScGdm, TernaryQuantiserIsUnbiasedWithBernoulliVariance) {
  const std::int64_t n = 200000;
  for (double r : {-0.9, -0.3, 0.0, 0.25, 0.7, 1.0}) {
    torch::Tensor q = ternary_quantise(torch::full({n}, r, torch::kFloat64), rng::Stream{11, 0});
    EXPECT_TRUE(((q == -1) | (q == 0) | (q == 1)).all().item<bool>());
    EXPECT_TRUE((q * r >= 0).all().item<bool>()) << "a step never goes against r";
    const double var = std::abs(r) - r * r;
    EXPECT_NEAR(q.mean().item<double>(), r, 4 * std::sqrt(var / n) + 1e-12) << r;
    EXPECT_NEAR(q.var().item<double>(), var, 4 * std::sqrt(2.0 / n) * std::max(var, 1e-3) + 1e-12) << r;
  }
}

// Element e's step depends on words 2e, 2e + 1 of the stream only: the same on 1 and 2 threads.
TEST(ScGdm, TernaryQuantiserDoesNotDependOnThreads) {
  const torch::Tensor r = torch::linspace(-1.0, 1.0, 100003, torch::kFloat64);
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = ternary_quantise(r, rng::Stream{9, 3});
  at::set_num_threads(2);
  const torch::Tensor two = ternary_quantise(r, rng::Stream{9, 3});
  at::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
  EXPECT_FALSE(torch::equal(one, ternary_quantise(r, rng::Stream{9, 4})));  // another step
}

// A parameter of n equal weights with a planted constant gradient g.
torch::Tensor planted(std::int64_t n, double w, double g) {
  torch::Tensor p = torch::full({n}, w, torch::kFloat32).requires_grad_(true);
  p.mutable_grad() = torch::full({n}, g, torch::kFloat32);
  return p;
}

TEST(ScGdm, OneStepIsACounterStepWithMeanMinusLrTimesGradient) {
  torch::manual_seed(12);
  const std::int64_t n = 100000;
  const double g = 0.05, lr = 0.3 * kStep / g;  // d = 0.3 Δ
  torch::Tensor p = planted(n, 0.5, g);
  ScGdm opt({p}, ScGdmOptions(lr));
  opt.step();
  torch::Tensor dw = (p.detach() - 0.5).to(torch::kFloat64);
  EXPECT_TRUE(((dw.abs() < 1e-9) | ((dw + kStep).abs() < 1e-9)).all().item<bool>()) << "0 or −Δ";
  EXPECT_NEAR(dw.mean().item<double>(), -lr * g, 4 * kStep * std::sqrt(0.3 * 0.7 / n));
  EXPECT_EQ(opt.saturated_fraction(), 0.0);
  // Weights stay on the grid of the counter.
  torch::Tensor c = p.detach().to(torch::kFloat64) / kStep;
  EXPECT_TRUE(torch::allclose(c, c.round(), 0, 1e-6));
}

TEST(ScGdm, MomentumAccumulatesTheScaledGradient) {
  torch::manual_seed(13);
  const std::int64_t n = 100000;
  const double g = 0.02, lr = 0.2 * kStep / g, mu = 0.5;  // steps: d = 0.2Δ, then 0.5·0.2Δ + 0.2Δ = 0.3Δ
  torch::Tensor p = planted(n, 0.25, g);
  ScGdm opt({p}, ScGdmOptions(lr).momentum(mu));
  opt.set_draws(rng::Stream{13, 0});
  opt.step();
  opt.set_draws(rng::Stream{13, 1});
  opt.step();
  const double expected = -(0.2 + 0.3) * kStep;
  torch::Tensor dw = (p.detach() - 0.25).to(torch::kFloat64);
  const double var = kStep * kStep * (0.2 * 0.8 + 0.3 * 0.7);
  EXPECT_NEAR(dw.mean().item<double>(), expected, 4 * std::sqrt(var / n));
}

TEST(ScGdm, UpdatesBeyondOneCounterStepSaturate) {
  const double g = 1.0, lr = 3 * kStep;  // d = 3Δ
  torch::Tensor p = planted(1000, 0.0, g);
  ScGdm opt({p}, ScGdmOptions(lr));
  opt.step();
  EXPECT_TRUE(torch::allclose(p.detach(), torch::full({1000}, -kStep), 0, 1e-9));
  EXPECT_DOUBLE_EQ(opt.saturated_fraction(), 1.0);
}

TEST(ScGdm, MomentumSurvivesSaveAndLoad) {
  const double g = 0.01, lr = 0.4 * kStep / g;
  torch::Tensor p1 = planted(5000, 0.125, g), p2 = planted(5000, 0.125, g);
  ScGdm a({p1}, ScGdmOptions(lr).momentum(0.9));
  torch::manual_seed(14);
  a.step();
  torch::serialize::OutputArchive out;
  a.save(out);
  std::stringstream buf;
  out.save_to(buf);
  torch::serialize::InputArchive in;
  in.load_from(buf);
  {
    torch::NoGradGuard ng;
    p2.copy_(p1);
  }
  ScGdm b({p2}, ScGdmOptions(lr).momentum(0.9));
  b.load(in);
  p1.mutable_grad().zero_();
  p2.mutable_grad().zero_();  // the next step moves by the momentum alone: 0.9 · 0.4Δ
  torch::manual_seed(15);
  a.step();
  torch::manual_seed(15);
  b.step();
  EXPECT_TRUE(torch::equal(p1.detach(), p2.detach()));
  EXPECT_GT((p1.detach() != 0.125).sum().item<std::int64_t>(), 0);
}

// ---- per-sample steps ----------------------------------------------------------------------

// A planted, deterministic input / output-gradient pair for step t, sample i: x ∈ [−0.7, 1.3],
// δ ∈ [−0.1, 1.1], so with lr = 1.6Δ the per-sample rates |r| = lr·|δ x| / Δ reach ≈ 2.3 (some
// saturate, most do not) and the mean drift is about −0.24 steps per sample.
double planted_x(int t, int i, int c) { return std::sin(0.7 * t + 1.3 * i + 2.1 * c) + 0.3; }
double planted_d(int t, int i, int o) { return 0.5 + 0.6 * std::cos(0.5 * t + 0.9 * i + 1.7 * o); }

TEST(ScGdmPerSample, CountersEqualTheSumOfClippedPerSampleRates) {
  torch::manual_seed(21);
  const int C = 6, O = 4, B = 8, T = 150;
  const double lr = 1.6 * kStep;  // r = −1.6·δ·x
  layers::ApproxLinear layer(layers::LinearSpec{C, O, true});
  {
    torch::NoGradGuard ng;
    layer->weight.zero_();
    layer->bias.zero_();
  }
  ScGdm opt({layer->weight, layer->bias}, ScGdmOptions(lr));
  opt.tap_linear(*layer);
  // Closed form (independent of the optimizer): E[Δc] = Σ clip(−lr·g/Δ, −1, 1), Var = Σ |r| − r².
  std::vector<double> mean(O * C + O, 0.0), var(O * C + O, 0.0);
  auto add = [&](std::size_t k, double r) {
    r = std::max(-1.0, std::min(1.0, r));
    mean[k] += r;
    var[k] += std::abs(r) - r * r;
  };
  for (int t = 0; t < T; ++t) {
    torch::Tensor x = torch::empty({B, C}), d = torch::empty({B, O});
    for (int i = 0; i < B; ++i) {
      for (int c = 0; c < C; ++c) x[i][c] = planted_x(t, i, c);
      for (int o = 0; o < O; ++o) d[i][o] = planted_d(t, i, o);
      for (int o = 0; o < O; ++o) {
        for (int c = 0; c < C; ++c) add(o * C + c, -lr * planted_d(t, i, o) * planted_x(t, i, c) / kStep);
        add(O * C + o, -lr * planted_d(t, i, o) / kStep);
      }
    }
    opt.zero_grad();
    torch::Tensor y = layer->forward(x);
    y.backward(d);  // δ = d: the planted output gradient
    opt.set_draws(rng::Stream{21, rng::train_step(t)});  // as the trainer does: fresh draws per step
    opt.step();
    ASSERT_EQ(opt.per_sample_fallback_fraction(), 0.0) << "step " << t;
  }
  torch::Tensor cw = (layer->weight.detach().to(torch::kFloat64) / kStep).reshape({-1});
  torch::Tensor cb = layer->bias.detach().to(torch::kFloat64) / kStep;
  double chi2 = 0, worst_z = 0;
  for (int k = 0; k < O * C + O; ++k) {
    const double got = k < O * C ? cw[k].item<double>() : cb[k - O * C].item<double>();
    EXPECT_EQ(got, std::round(got)) << "counters are integers";
    const double sd = std::sqrt(var[k]);
    EXPECT_NEAR(got, mean[k], 5 * sd + 1e-9) << "parameter " << k << " (sd " << sd << ")";
    chi2 += (got - mean[k]) * (got - mean[k]) / std::max(var[k], 1e-12);
    worst_z = std::max(worst_z, std::abs(got - mean[k]) / std::max(sd, 1e-12));
  }
  std::cout << "[ per-sample ] " << O * C + O << " counters after " << T << " steps of B = " << B
            << ": chi2 " << chi2 << ", max |z| " << worst_z << ", max |counter| "
            << std::max(cw.abs().max().item<double>(), cb.abs().max().item<double>()) << " (max |E[counter]| "
            << std::abs(*std::max_element(mean.begin(), mean.end(),
                                          [](double a, double b) { return std::abs(a) < std::abs(b); }))
            << ")\n";
  // Jointly: Σ z² over 28 counters is χ²(28)-like; 28 + 5·√56 ≈ 65.
  EXPECT_LT(chi2, 28 + 5 * std::sqrt(56.0));
  // Per-batch steps could move no counter by more than T; these moved further.
  EXPECT_GT(cw.abs().max().item<double>(), T);
}

TEST(ScGdmPerSample, ABatchMovesACounterByUpToBSteps) {
  const int B = 8;
  layers::ApproxLinear layer(layers::LinearSpec{1, 1, false});
  {
    torch::NoGradGuard ng;
    layer->weight.zero_();
  }
  ScGdm opt({layer->weight}, ScGdmOptions(kStep));  // r_i = −g_i: |g_i| ≥ 1 saturates to one step
  opt.tap_linear(*layer);
  torch::Tensor x = torch::full({B, 1}, 2.0), d = torch::full({B, 1}, 1.5);
  opt.zero_grad();
  layer->forward(x).backward(d);
  opt.step();
  EXPECT_DOUBLE_EQ(layer->weight.item<double>(), -B * kStep);  // every sample: one step down
  EXPECT_DOUBLE_EQ(opt.saturated_fraction(), 1.0);
  // A zero-gradient sample takes no step: half the batch at g = 0.
  torch::Tensor d2 = torch::cat({torch::full({B / 2, 1}, 1.5), torch::zeros({B / 2, 1})});
  opt.zero_grad();
  layer->forward(x).backward(d2);
  opt.step();
  EXPECT_DOUBLE_EQ(layer->weight.item<double>(), -(B + B / 2) * kStep);
}

// A loss that reaches W outside y (here a penalty on W itself) breaks Σ_i δ_i ⊗ x_i = ∂loss/∂W:
// that parameter takes the per-batch step of the full gradient; the bias, untouched by the
// penalty, still steps per sample.
TEST(ScGdmPerSample, FallsBackToPerBatchStepsWhenTheGradientIsNotPerSample) {
  layers::ApproxLinear layer(layers::LinearSpec{2, 1, true});
  {
    torch::NoGradGuard ng;
    layer->weight.fill_(0.0);
    layer->bias.fill_(0.0);
  }
  ScGdm opt({layer->weight, layer->bias}, ScGdmOptions(kStep));
  opt.tap_linear(*layer);
  torch::Tensor x = torch::full({4, 2}, 1.0), d = torch::full({4, 1}, 2.0);
  opt.zero_grad();
  torch::Tensor y = layer->forward(x);
  ((y * d).sum() + layer->weight.sum() * 3.0).backward();  // ∂/∂W = Σ δ x + 3 = 11 per weight
  opt.step();
  EXPECT_DOUBLE_EQ(opt.per_sample_fallback_fraction(), 0.5);
  EXPECT_TRUE(torch::allclose(layer->weight.detach(), torch::full({1, 2}, -kStep), 0, 1e-12)) << "one step";
  EXPECT_DOUBLE_EQ(layer->bias.item<double>(), -4 * kStep);  // four per-sample steps
}

// The per-sample draws follow torch's seed, not the thread count (one stream per counter row).
TEST(ScGdmPerSample, DrawsDoNotDependOnTheThreadCount) {
  auto run = [](int threads) {
    const int before = at::get_num_threads();
    at::set_num_threads(threads);
    torch::manual_seed(5);
    layers::ApproxLinear layer(layers::LinearSpec{16, 24, true});
    ScGdm opt({layer->weight, layer->bias}, ScGdmOptions(0.3 * kStep));
    opt.tap_linear(*layer);
    for (int t = 0; t < 3; ++t) {
      opt.zero_grad();
      layer->forward(torch::randn({10, 16})).backward(torch::randn({10, 24}));
      opt.set_draws(rng::Stream{5, rng::train_step(t)});
      opt.step();
    }
    at::set_num_threads(before);
    return std::make_pair(layer->weight.detach().clone(), layer->bias.detach().clone());
  };
  auto a = run(1), b = run(4);
  EXPECT_TRUE(torch::equal(a.first, b.first));
  EXPECT_TRUE(torch::equal(a.second, b.second));
}

// Forwards without gradients (evaluation) record nothing; the taps go quiet with the optimizer.
TEST(ScGdmPerSample, TapsRecordOnlyTrainingForwards) {
  layers::ApproxLinear layer(layers::LinearSpec{2, 2, false});
  auto opt = std::make_unique<ScGdm>(std::vector<torch::Tensor>{layer->weight}, ScGdmOptions(kStep));
  opt->tap_linear(*layer);
  {
    torch::NoGradGuard ng;
    for (int i = 0; i < 40; ++i) layer->forward(torch::ones({3, 2}));
  }
  torch::Tensor w0 = layer->weight.detach().clone();
  opt->step();  // no gradient: nothing moves
  EXPECT_TRUE(torch::equal(w0, layer->weight.detach()));
  opt.reset();
  layer->forward(torch::ones({3, 2})).sum().backward();  // the tap is inert, nothing crashes
}

TEST(ScGdmPerSample, MomentumAndConvolutionsAreRefused) {
  layers::ApproxLinear lin(layers::LinearSpec{2, 2, false});
  ScGdm m({lin->weight}, ScGdmOptions(kStep).momentum(0.9));
  EXPECT_THROW(m.tap_linear(*lin), std::invalid_argument);
  layers::ApproxConv2d conv(layers::Conv2dSpec{2, 2, 3});
  ScGdm c({conv->weight}, ScGdmOptions(kStep));
  EXPECT_THROW(c.tap_linear(*conv), std::invalid_argument);
}

// The path a run takes (config → OptimizerOptions::make → attach, as Trainer::start_segment does)
// on the MLP of configs/mnist_mlp_sc_gdm.yaml's shape with ideal hardware and a batch-mean
// cross-entropy: every Linear weight and bias takes per-sample steps (no fallback), and a counter
// moves by more than one step in one batch, which per-batch steps cannot do.
TEST(ScGdmPerSample, TrainerPathTapsEveryLinearLayerOfAnMlp) {
  torch::manual_seed(3);
  run::RunConfig c = run::parse_run_config(
      YAML::Load("name: t\nseed: 3\ndata: {type: synthetic, shape: [1, 6, 6], classes: 4, batch_size: 32}\n"
                 "model: {type: mlp, hidden: [12, 12]}\nhardware: {type: ideal}\n"
                 "optimizer: {type: sc_gdm, lr: 0.5, momentum: 0}\nphases: [{epochs: 1}]\n"),
      "<test>");
  auto data = c.data.open(c.seed);
  auto model = c.model.build(data->input_shape(), data->num_classes());
  layers::attach_hardware(*model, c.hardware, c.seed);
  std::unique_ptr<torch::optim::Optimizer> opt = c.optimizer.options->make(model->parameters(), c.optimizer.lr);
  c.optimizer.options->attach(*opt, *model);
  auto& sc = dynamic_cast<ScGdm&>(*opt);
  ASSERT_EQ(layers::mac_layers(*model).size(), 3u);
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());
  torch::Tensor x = torch::randn({32, 1, 6, 6}), t = torch::randint(0, 4, {32}, torch::kInt64);
  opt->zero_grad();
  torch::nn::functional::cross_entropy(model->forward(x), t).backward();
  opt->step();
  EXPECT_EQ(sc.per_sample_fallback_fraction(), 0.0);
  double most = 0;
  std::size_t i = 0;
  for (const auto& p : model->parameters())
    most = std::max(most, ((p.detach() - before[i++]).abs() / kStep).max().item<double>());
  EXPECT_GT(most, 1.5) << "some counter moved by two or more steps in one batch";
}

// `steps`: per_sample by default for SC-GDC, per_batch with momentum; bad values and per_sample
// with momentum end in a ConfigError (exit 2) naming file:line, key, value and what is allowed.
std::string config_error(const std::string& optimizer) {
  const std::string text = "name: t\ndata: {type: synthetic, shape: [1, 4, 4], classes: 2, batch_size: 4}\n"
                           "model: {type: mlp, hidden: [4]}\noptimizer: " +
                           optimizer + "\nphases:\n  - {name: train, epochs: 1}\n";
  const std::string path = test::temp_dir("sc_gdm") + "/cfg.yaml";
  std::ofstream(path) << text;
  try {
    run::RunConfig c = run::load_run_config(path);
    return "ok " + YAML::Dump(c.optimizer.dump()["steps"]);
  } catch (const ConfigError& e) {
    return e.what();
  }
}

TEST(ScGdmPerSample, StepsOption) {
  EXPECT_EQ(config_error("{type: sc_gdm, lr: 0.01}"), "ok per_sample");
  EXPECT_EQ(config_error("{type: sc_gdm, lr: 0.01, momentum: 0.9}"), "ok per_batch");
  EXPECT_EQ(config_error("{type: sc_gdm, lr: 0.01, steps: per_batch}"), "ok per_batch");
  std::string e = config_error("{type: sc_gdm, lr: 0.01, steps: per_epoch}");
  for (const char* part : {"cfg.yaml:4:", "optimizer.steps", "per_epoch", "per_sample", "per_batch"})
    EXPECT_NE(e.find(part), std::string::npos) << part << " missing from: " << e;
  e = config_error("{type: sc_gdm, lr: 0.01, momentum: 0.9, steps: per_sample}");
  for (const char* part : {"cfg.yaml:4:", "optimizer.steps", "per_sample", "momentum 0"})
    EXPECT_NE(e.find(part), std::string::npos) << part << " missing from: " << e;
}

}  // namespace
}  // namespace ax::train
