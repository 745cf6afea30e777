// The evaluation tools of AxTrain (lib/axtrain/eval/): sensitivity maps, the ApproxANN search, the
// power model, the PNG writer, and repeated noisy evaluation — each against a planted or
// closed-form truth.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/png.h"
#include "axtrain/core/random.h"
#include "axtrain/data/tensor_dataset.h"
#include "axtrain/eval/approxann.h"
#include "axtrain/eval/power.h"
#include "axtrain/eval/sensitivity_map.h"
#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/sensitivity.h"
#include "axtrain/train/trainer.h"
#include "test_util.h"

namespace ax {
namespace {

// C classes, F = C features: class c has x_c = 1 and x_j = 0.4 elsewhere (plus nothing random), so
// the identity network y = x classifies every example and each output neuron alone decides its class.
std::unique_ptr<train::TrainedModel> planted_model(std::int64_t classes, std::int64_t per_class,
                                                   const std::string& hardware = "{type: fixed_point}") {
  auto t = std::make_unique<train::TrainedModel>();
  const run::RunConfig cfg = run::parse_run_config(YAML::Load(R"(name: planted
seed: 5
data: {type: synthetic, shape: [4], classes: 2, train_size: 8, test_size: 8, batch_size: 8, test_batch_size: 100000}
model: {type: mlp, hidden: []}
hardware: )" + hardware + R"(
optimizer: {type: sgd, lr: 0.1}
phases: [{name: p, epochs: 1}]
eval: {mode: exact}
)"),
                                        "<test>");
  t->options = run::trainer_options(cfg);
  t->hardware = cfg.hardware;
  const std::int64_t n = classes * per_class;
  torch::Tensor y = torch::arange(classes, torch::kLong).repeat_interleave(per_class);
  torch::Tensor x = torch::full({n, classes}, 0.4);
  x.index_put_({torch::arange(n), y}, 1.0);
  t->data = std::make_unique<data::TensorDataset>(data::Split{x, y}, data::Split{x.clone(), y.clone()}, classes, cfg.data);
  t->model = cfg.model.build({classes}, classes);
  layers::attach_hardware(*t->model, cfg.hardware, 5);
  auto ls = layers::mac_layers(*t->model);
  EXPECT_EQ(ls.size(), 1u);
  {
    torch::NoGradGuard g;
    ls[0].layer->weight.copy_(torch::eye(classes));
    ls[0].layer->bias.zero_();
  }
  layers::set_mode(*t->model, hw::Mode::Exact);
  return t;
}

// Arithmetic that kills a neuron: its output is 0 (the planted "approximate multiplier").
struct DeadHardware final : hw::LayerHardware {
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const hw::MacOp& op, hw::Mode) override {
    return torch::zeros_like(op.apply(x, w));
  }
};

TEST(ApproxAnn, StopsAtTheBoundOnAPlantedCase) {
  // 10 classes; a dead neuron misclassifies exactly its own class (its logit 0 < 0.4), so every
  // approximated neuron costs 0.1 accuracy. Bound 0.25 admits two: 0.8 ≥ 0.75 > 0.7.
  auto t = planted_model(10, 6);
  layers::mac_layers(*t->model)[0].layer->set_hardware(std::make_shared<DeadHardware>());
  eval::ApproxAnnOptions o;
  o.bound = 0.25;
  o.step = 0.5;  // 5 neurons: fails, then 2 (kept), 2 (fails), 1 (fails) → stop
  o.retrain_epochs = 0;
  eval::ApproxAnnResult r = eval::approxann_search(*t, o);
  EXPECT_DOUBLE_EQ(r.accurate_accuracy, 1.0);
  EXPECT_NEAR(r.approximate_accuracy, 0.1, 1e-12);  // all logits 0: argmax ties go to class 0
  EXPECT_EQ(r.neurons, 10);
  EXPECT_EQ(r.approx_neurons, 2);
  EXPECT_NEAR(r.final_accuracy, 0.8, 1e-12);
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(r.steps[0].approx_neurons, 5);
  EXPECT_FALSE(r.steps[0].accepted);
  EXPECT_NEAR(r.steps[0].accuracy, 0.5, 1e-12);
  EXPECT_TRUE(r.steps[1].accepted);
  EXPECT_FALSE(r.steps[2].accepted);
  EXPECT_EQ(r.steps[3].approx_neurons, 3);
  EXPECT_NEAR(r.steps[3].accuracy, 0.7, 1e-12);
  EXPECT_FALSE(r.steps[3].accepted);
  // 2 of 10 neurons × 10 products each on the approximate multiplier; the masks left in the model
  // reproduce the reported accuracy.
  EXPECT_DOUBLE_EQ(r.multipliers, 100.0);
  EXPECT_DOUBLE_EQ(r.approx_multipliers, 20.0);
  EXPECT_EQ(layers::mac_layers(*t->model)[0].layer->approx_mask().sum().item<std::int64_t>(), 2);
  train::Trainer check(t->options, *t->data, t->model, torch::kCPU);
  EXPECT_NEAR(check.evaluate(0).accuracy, 0.8, 1e-12);
}

TEST(ApproxAnn, HarmlessHardwareGoesFullyApproximate) {
  auto t = planted_model(4, 5);  // fixed_point 8-bit keeps the identity network exact
  eval::ApproxAnnOptions o;
  o.step = 0.25;
  eval::ApproxAnnResult r = eval::approxann_search(*t, o);
  EXPECT_EQ(r.approx_neurons, 4);
  EXPECT_DOUBLE_EQ(r.final_accuracy, 1.0);
}

TEST(ApproxAnn, RefusesIdealHardware) {
  auto t = planted_model(3, 2, "{type: ideal}");
  EXPECT_THROW(eval::approxann_search(*t, {}), UsageError);
}

// A planted fault model: each weight read is the negated weight with probability p (one read per
// test pass, the test set being one batch); a negated identity network gets every example wrong.
struct NegatingStorage final : hw::WeightStorage {
  explicit NegatingStorage(double p) : p(p) {}
  torch::Tensor read(const torch::Tensor& w, const rng::Stream& draws) override {
    return rng::block(draws, 0)[0] < p * 0x1p32 ? -w : w;
  }
  double p;
};

TEST(RepeatedEvaluation, StatisticsOfAPlantedFaultModel) {
  const double p = 0.3;
  const std::int64_t R = 400;
  auto t = planted_model(5, 4);
  auto* layer = layers::mac_layers(*t->model)[0].layer;
  // The two possible outcomes, measured without faults.
  train::Trainer clean(t->options, *t->data, t->model, torch::kCPU);
  const train::SplitMetrics ok = clean.evaluate(0);
  {
    torch::NoGradGuard g;
    layer->weight.neg_();
  }
  const train::SplitMetrics bad = clean.evaluate(0);
  {
    torch::NoGradGuard g;
    layer->weight.neg_();
  }
  ASSERT_DOUBLE_EQ(ok.accuracy, 1.0);
  ASSERT_DOUBLE_EQ(bad.accuracy, 0.0);
  layer->hardware().set_storage(std::make_shared<NegatingStorage>(p));
  t->options.eval.repeats = R;
  train::Trainer trainer(t->options, *t->data, t->model, torch::kCPU);
  const train::SplitMetrics m = trainer.evaluate(0);
  EXPECT_EQ(m.repeats, R);
  // accuracy per draw is Bernoulli(1 − p): mean within 4 standard errors, sample std of a 0/1 variable
  const double se = std::sqrt(p * (1 - p) / R);
  EXPECT_NEAR(m.accuracy, 1 - p, 4 * se);
  const double q = m.accuracy;
  EXPECT_NEAR(m.accuracy_std, std::sqrt(q * (1 - q) * R / (R - 1.0)), 1e-9);
  EXPECT_DOUBLE_EQ(m.accuracy_min, 0.0);
  EXPECT_DOUBLE_EQ(m.accuracy_max, 1.0);
  EXPECT_NEAR(m.loss, q * ok.loss + (1 - q) * bad.loss, 1e-6 * bad.loss);
  EXPECT_NEAR(m.loss_min, ok.loss, 1e-9);
  EXPECT_NEAR(m.loss_max, bad.loss, 1e-9);
  // the same draws again: evaluation is reproducible
  EXPECT_DOUBLE_EQ(trainer.evaluate(0).accuracy, m.accuracy);
}

TEST(SensitivityMaps, ClosedFormOfALinearLayer) {
  // O_k = mean_b (W x_b)_k, so ∂O_k/∂W_kj = mean_b x_bj and ∂O_k/∂W_ij = 0 for i ≠ k:
  // map_kj = |W_kj| · |mean_b x_bj|.
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({7, 5}, torch::kFloat64);
  torch::Tensor w = torch::randn({3, 5}, torch::kFloat64).requires_grad_(true);
  auto maps = train::sensitivity_maps(torch::matmul(x, w.t()), {w});
  torch::Tensor expected = w.detach().abs() * x.mean(0).abs().unsqueeze(0);
  EXPECT_TRUE(torch::allclose(maps[0], expected, 1e-12, 1e-12));
  // S(w) is the sum of the map
  torch::Tensor s = train::sensitivity(torch::matmul(x, w.t()), {w}, false);
  EXPECT_NEAR(s.item<double>(), expected.sum().item<double>(), 1e-12);
}

TEST(SensitivityMaps, SampledOutputsEstimateSWithoutBias) {
  // With n of K outputs drawn per call and the sum scaled by K/n, each call is K/n times a sum of n
  // per-output terms, and the mean over many calls approaches S.
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({9, 6}, torch::kFloat64);
  torch::Tensor w = torch::randn({4, 6}, torch::kFloat64).requires_grad_(true);
  torch::Tensor out = torch::matmul(x, w.t());
  torch::Tensor per_k = (w.detach().abs() * x.mean(0).abs().unsqueeze(0)).sum(1);  // S_k
  const double S = per_k.sum().item<double>();
  double mean = 0;
  const int draws = 3000;
  for (int i = 0; i < draws; ++i) {
    const double e = train::sensitivity(out, {w}, false, 1, rng::Stream{4, static_cast<std::uint64_t>(i)}).item<double>();
    // one output: e = 4·S_k for some k
    bool matches = false;
    for (std::int64_t k = 0; k < 4; ++k) matches = matches || std::abs(e - 4 * per_k[k].item<double>()) < 1e-9;
    ASSERT_TRUE(matches) << e;
    mean += e / draws;
  }
  const double var = (16 * per_k.pow(2).mean() - S * S).item<double>();
  EXPECT_NEAR(mean, S, 4 * std::sqrt(var / draws));
}

TEST(SensitivityMaps, OfATrainedModelSumToS) {
  auto t = planted_model(3, 4, "{type: ideal}");
  layers::set_mode(*t->model, hw::Mode::Ideal);
  eval::SensitivityResult r = eval::sensitivity_of(*t);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.batches, 1);
  // identity W, CE → O = softmax(x): by finite differences of O_k w.r.t. W on the whole test set
  torch::Tensor x = dynamic_cast<data::TensorDataset&>(*t->data).split(data::Part::Test).x;
  torch::Tensor W = torch::eye(3, torch::kFloat64);
  torch::Tensor expected = torch::zeros({3, 3}, torch::kFloat64);
  const double h = 1e-6;
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      torch::Tensor Wp = W.clone(), Wm = W.clone();
      Wp[i][j] += h;
      Wm[i][j] -= h;
      torch::Tensor d = (torch::softmax(torch::matmul(x.to(torch::kFloat64), Wp.t()), 1).mean(0) -
                         torch::softmax(torch::matmul(x.to(torch::kFloat64), Wm.t()), 1).mean(0)) / (2 * h);
      expected[i][j] = W[i][j].abs() * d.abs().sum();
    }
  EXPECT_TRUE(torch::allclose(r.layers[0].map, expected, 1e-5, 1e-7)) << r.layers[0].map << expected;
  EXPECT_NEAR(r.total, expected.sum().item<double>(), 1e-6);
}

TEST(Png, ChunksAndPixelsRoundTrip) {
  std::vector<std::uint8_t> rgb{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
  std::string png = ax::encode_png_rgb(3, 2, rgb);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  std::size_t at = 8;
  std::string idat;
  std::vector<std::string> types;
  while (at < png.size()) {
    const std::uint32_t len = u32(at);
    const std::string type = png.substr(at + 4, 4);
    if (std::isupper(static_cast<unsigned char>(type[0]))) types.push_back(type);  // critical chunks (sRGB etc. may join)
    const std::string body = png.substr(at + 4, 4 + len);
    EXPECT_EQ(u32(at + 8 + len), crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size())) << type;
    if (type == "IHDR") {
      EXPECT_EQ(u32(at + 8), 3u);
      EXPECT_EQ(u32(at + 12), 2u);
      EXPECT_EQ(png[at + 16], 8);  // bit depth
      EXPECT_EQ(png[at + 17], 2);  // colour type RGB
    }
    if (type == "IDAT") idat += png.substr(at + 8, len);
    at += 12 + len;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  std::string raw(2 * (1 + 9), '\0');
  uLongf n = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &n, reinterpret_cast<const Bytef*>(idat.data()), idat.size()), Z_OK);
  ASSERT_EQ(n, raw.size());
  for (int y = 0; y < 2; ++y) {
    // Undo the scan line's filter (PNG spec §9.2: none, sub, up, average, Paeth; 3 bytes per pixel).
    const int filter = raw[y * 10];
    ASSERT_GE(filter, 0);
    ASSERT_LE(filter, 4);
    for (int i = 0; i < 9; ++i) {
      const int a = i >= 3 ? static_cast<std::uint8_t>(raw[y * 10 + 1 + i - 3]) : 0;
      const int b = y > 0 ? static_cast<std::uint8_t>(raw[(y - 1) * 10 + 1 + i]) : 0;
      const int c = y > 0 && i >= 3 ? static_cast<std::uint8_t>(raw[(y - 1) * 10 + 1 + i - 3]) : 0;
      const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
      const int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const int pred = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2 : paeth;
      raw[y * 10 + 1 + i] = static_cast<char>((static_cast<std::uint8_t>(raw[y * 10 + 1 + i]) + pred) & 0xff);
    }
    for (int i = 0; i < 9; ++i) EXPECT_EQ(static_cast<std::uint8_t>(raw[y * 10 + 1 + i]), rgb[y * 9 + i]);
  }
}

TEST(Power, ClosedFormOfTwoLayers) {
  const std::string dir = test::temp_dir("power");
  std::ofstream(dir + "/costs.yaml") << R"(power:
  multiplier_pj: {exact8: 1.0, cheap: 0.25}
  add_pj: 0.5
  storage: {pj_per_bit: 2.0, nominal_mv: 1000, exponent: 2, voltages: [{flip_rate: 0.01, mv: 500}]}
)";
  eval::PowerCosts c = eval::load_power_costs(dir + "/costs.yaml");
  eval::LayerWork a{"a", 100, 1.0, 10, {"cheap", "exact8", 8, 0.01}};
  eval::LayerWork b{"b", 40, 0.5, 4, {"cheap", "exact8", 8, 0.0}};
  eval::PowerEstimate e = eval::estimate_power({a, b}, c);
  EXPECT_DOUBLE_EQ(e.compute_pj, 100 * (0.25 + 0.5) + 40 * (0.5 * 0.25 + 0.5 * 1.0 + 0.5));
  EXPECT_DOUBLE_EQ(e.compute_reference_pj, 140 * 1.5);
  EXPECT_DOUBLE_EQ(e.storage_pj, 10 * 8 * 2.0 * 0.25 + 4 * 8 * 2.0);
  EXPECT_DOUBLE_EQ(e.storage_reference_pj, 14 * 8 * 2.0);
  eval::LayerWork unknown{"u", 1, 1, 1, {"drum16_k4", "exact8", 8, 0}};
  try {
    eval::estimate_power({unknown}, c);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("drum16_k4"), std::string::npos);
    EXPECT_NE(std::string(err.what()).find("costs.yaml"), std::string::npos);
  }
  eval::LayerWork off_table{"v", 1, 1, 1, {"cheap", "exact8", 8, 0.2}};
  EXPECT_THROW(eval::estimate_power({off_table}, c), ConfigError);
}

TEST(Power, HardwareNamesItsMultiplier) {
  EXPECT_EQ(test::layer_hw("{type: approx_mul, multiplier: {type: drum, bits: 16, k: 5}}").cost_keys().multiplier,
            "drum16_k5");
  EXPECT_EQ(test::layer_hw("{type: approx_mul, multiplier: {type: drum, bits: 16, k: 5}}").cost_keys().reference,
            "exact16");
  hw::CostKeys ntv = test::layer_hw("{type: ntv, flip_rate: 0.01, word_bits: 12}").cost_keys();
  EXPECT_EQ(ntv.multiplier, "ideal");
  EXPECT_EQ(ntv.weight_bits, 12);
  EXPECT_DOUBLE_EQ(ntv.flip_rate, 0.01);
  EXPECT_EQ(test::layer_hw("{type: fixed_point, input: {bits: 8}, weight: {bits: 6}}").cost_keys().multiplier, "exact8");
  // the shipped cost file prices every shipped multiplier preset
  eval::PowerCosts c = eval::load_power_costs(test::source_dir() + "/configs/power/default.yaml");
  for (const char* k : {"drum16_k4", "drum16_k5", "drum16_k6", "drum16_k7", "exact16", "mul7u_09Y", "exact7", "ideal"})
    EXPECT_GT(c.multiplier(k), 0.0) << k;
  EXPECT_DOUBLE_EQ(c.voltage_mv(0.1), 400);
  EXPECT_NEAR(c.multiplier("mul7u_09Y") / c.multiplier("exact7"), 0.065 / 0.277, 1e-4);
}

}  // namespace
}  // namespace ax
