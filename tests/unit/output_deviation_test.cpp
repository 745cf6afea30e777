// The output deviation ‖O_hw − O_float‖ / ‖O_float‖ per sample, averaged over the test set (AxTrain
// Fig. 6's normalised output error, PAPERS.md G-49): hand-computed outputs, and planted hardware
// whose outputs are a known function of the float ones.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "axtrain/data/tensor_dataset.h"
#include "axtrain/layers/attach.h"
#include "axtrain/report/summary.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/output_deviation.h"
#include "axtrain/train/trainer.h"

namespace ax {
namespace {

TEST(OutputDeviation, PerSampleRatioOfHandComputedOutputs) {
  // sample 0: ‖(3,4) − (3,0)‖ / ‖(3,0)‖ = 4/3; sample 1: ‖(1,1) − (0,2)‖ / ‖(0,2)‖ = √2/2
  torch::Tensor approx = torch::tensor({3.0, 4.0, 1.0, 1.0}).view({2, 2});
  torch::Tensor exact = torch::tensor({3.0, 0.0, 0.0, 2.0}).view({2, 2});
  torch::Tensor d = train::output_deviation(approx, exact);
  ASSERT_EQ(d.numel(), 2);
  EXPECT_NEAR(d[0].item<double>(), 4.0 / 3.0, 1e-15);
  EXPECT_NEAR(d[1].item<double>(), std::sqrt(2.0) / 2.0, 1e-15);
  // outputs of more than one dimension are flattened per sample: ‖(0,0,3,4)‖ / ‖(1,2,2,4)‖ = 5/5
  torch::Tensor e4 = torch::tensor({1.0, 2.0, 2.0, 4.0}).view({1, 1, 2, 2});
  EXPECT_NEAR(train::output_deviation(e4 + torch::tensor({0.0, 0.0, 3.0, 4.0}).view({1, 1, 2, 2}), e4).item<double>(), 1.0, 1e-15);
  // the mean over samples, across batches; a sample whose float output is all zero has no ratio
  train::OutputDeviationSum sum;
  sum.add(approx, exact);
  sum.add(torch::tensor({1.0, 0.0}).view({1, 2}), torch::zeros({1, 2}));
  EXPECT_EQ(sum.samples, 2);
  EXPECT_EQ(sum.skipped, 1);
  EXPECT_NEAR(sum.mean(), (4.0 / 3.0 + std::sqrt(2.0) / 2.0) / 2.0, 1e-15);
  EXPECT_TRUE(std::isnan(train::OutputDeviationSum().mean()));
}

// DeviationNet arithmetic: every layer output is `factor` × the float op (ideal mode: the float op).
struct ScalingHardware final : hw::LayerHardware {
  explicit ScalingHardware(double f) : factor(f) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const hw::MacOp& op, hw::Mode mode) override {
    return mode == hw::Mode::Ideal ? op.apply(x, w) : factor * op.apply(x, w);
  }
  double factor;
};

// A planted fault model: a weight read is the negated weight with probability p.
struct FlakyStorage final : hw::WeightStorage {
  explicit FlakyStorage(double p) : p(p) {}
  torch::Tensor read(const torch::Tensor& w, const rng::Stream& draws) override {
    return rng::block(draws, 0)[0] < p * 0x1p32 ? -w : w;
  }
  double p;
};

// One linear layer C → C (no hidden layer, logits out) with identity weights and bias b, on the
// test set x (rows), the hardware named in the config.
struct DeviationNet {
  run::RunConfig cfg;
  std::unique_ptr<data::Dataset> data;
  std::shared_ptr<models::Model> model;
  DeviationNet(const torch::Tensor& x, const torch::Tensor& b, const std::string& hardware = "{type: fixed_point}",
          const std::string& mode = "exact") {
    cfg = run::parse_run_config(YAML::Load(R"(name: planted
seed: 3
data: {type: synthetic, shape: [2], classes: 2, train_size: 8, test_size: 8, batch_size: 8, test_batch_size: 1}
model: {type: mlp, hidden: []}
hardware: )" + hardware + R"(
optimizer: {type: sgd, lr: 0.1}
phases: [{name: p, epochs: 1}]
eval: {mode: )" + mode + "}\n"),
                                   "<test>");
    const std::int64_t c = x.size(1);
    torch::Tensor y = x.argmax(1);
    data = std::make_unique<data::TensorDataset>(data::Split{x, y}, data::Split{x.clone(), y.clone()}, c, cfg.data);
    model = cfg.model.build({c}, c);
    layers::attach_hardware(*model, cfg.hardware, 3);
    auto* l = layers::mac_layers(*model)[0].layer;
    torch::NoGradGuard g;
    l->weight.copy_(torch::eye(c));
    l->bias.copy_(b);
  }
  layers::MacLayerImpl& layer() { return *layers::mac_layers(*model)[0].layer; }
  train::SplitMetrics evaluate() {
    train::Trainer t(run::trainer_options(cfg), *data, model, torch::kCPU);
    return t.evaluate(0);
  }
};

TEST(OutputDeviation, ALayerScaledBy1Point25DeviatesByAQuarter) {
  // O_hw = 1.25·x, O_float = x: every sample deviates by exactly 0.25 (test batches of 1 sample)
  DeviationNet p(torch::tensor({1.0, 0.4, 0.4, 1.0, 0.3, 0.7}).view({3, 2}), torch::zeros({2}));
  p.layer().set_hardware(std::make_shared<ScalingHardware>(1.25));
  train::SplitMetrics m = p.evaluate();
  ASSERT_TRUE(m.output_deviation.has_value());
  EXPECT_NEAR(*m.output_deviation, 0.25, 1e-6);  // float32 outputs: 1.25·x rounds
  EXPECT_EQ(m.output_deviation_skipped, 0);
  EXPECT_NEAR(m.to_json()["output_deviation"].get<double>(), *m.output_deviation, 1e-15);
}

TEST(OutputDeviation, WithABiasTheHandComputedMeanOverSamples) {
  // O_float = x + b, O_hw = 1.25·x + b: d = 0.25·‖x‖ / ‖x + b‖ with b = (1, 0):
  // x = (1, 0.4): 0.25·√1.16 / √4.16; x = (0.4, 1): 0.25·√1.16 / √2.96
  DeviationNet p(torch::tensor({1.0, 0.4, 0.4, 1.0}).view({2, 2}), torch::tensor({1.0, 0.0}));
  p.layer().set_hardware(std::make_shared<ScalingHardware>(1.25));
  const double want = (0.25 * std::sqrt(1.16) / std::sqrt(4.16) + 0.25 * std::sqrt(1.16) / std::sqrt(2.96)) / 2;
  EXPECT_NEAR(*p.evaluate().output_deviation, want, 1e-7);  // float32 outputs
}

TEST(OutputDeviation, OverFaultDrawsEqualsTwiceTheFractionOfNegatedDraws) {
  // A negated identity network (bias 0): O_hw = −O_float, deviation 2 and every sample wrong; an
  // intact one: deviation 0, every sample right. So per draw d = 2·(1 − accuracy), and over the
  // draws mean d = 2·(1 − mean accuracy), std d = 2·std accuracy — the accuracy counts the draws
  // independently of the deviation's arithmetic.
  DeviationNet p(torch::tensor({1.0, 0.4, 0.4, 1.0}).view({2, 2}), torch::zeros({2}));
  p.layer().set_hardware(std::make_shared<ScalingHardware>(1.0));
  p.layer().hardware().set_storage(std::make_shared<FlakyStorage>(0.3));
  p.cfg.data.test_batch_size = 2;  // one weight read per draw
  p.cfg.eval.repeats = 200;
  train::SplitMetrics m = p.evaluate();
  ASSERT_EQ(m.repeats, 200);
  ASSERT_GT(m.accuracy, 0.5);
  ASSERT_LT(m.accuracy, 0.9);
  EXPECT_NEAR(*m.output_deviation, 2 * (1 - m.accuracy), 1e-6);
  EXPECT_NEAR(m.output_deviation_std, 2 * m.accuracy_std, 1e-6);
  nlohmann::json j = m.to_json();
  EXPECT_NEAR(j["output_deviation_std"].get<double>(), 2 * m.accuracy_std, 1e-6);
  EXPECT_NEAR(*train::SplitMetrics::from_json(j).output_deviation, *m.output_deviation, 1e-12);
}

TEST(OutputDeviation, AbsentWhereNothingIsApproximate) {
  // ideal hardware, or the ideal eval mode: no deviation is computed, none written
  DeviationNet ideal(torch::tensor({1.0, 0.4}).view({1, 2}), torch::zeros({2}), "{type: ideal}");
  train::SplitMetrics a = ideal.evaluate();
  EXPECT_FALSE(a.output_deviation.has_value());
  EXPECT_FALSE(a.to_json().contains("output_deviation"));
  DeviationNet float_mode(torch::tensor({1.0, 0.4}).view({1, 2}), torch::zeros({2}), "{type: fixed_point}", "ideal");
  float_mode.layer().set_hardware(std::make_shared<ScalingHardware>(2.0));
  EXPECT_FALSE(float_mode.evaluate().output_deviation.has_value());
  // a run summary without it reports NaN (an experiment cell then has no number), with it the value
  nlohmann::json metrics = {{"final", {{"test", {{"loss", 0.5}, {"accuracy", 1.0}}}}}};
  EXPECT_TRUE(std::isnan(report::summarize(metrics, "m.json").output_deviation));
  metrics["final"]["test"]["output_deviation"] = 0.125;
  EXPECT_DOUBLE_EQ(report::summarize(metrics, "m.json").output_deviation, 0.125);
}

}  // namespace
}  // namespace ax
