// Error injection against the real thing (issue 13 part 3): a TinyConv trained on Fashion-MNIST
// (one INT8 epoch on 6,000 images; skipped without Debian's dataset-fashion-mnist), then per
// hardware the error models calibrated on training batch A (512 images) and compared on batch B
// (512 others) with eval::inject_check: the injected error's statistics against the accurate
// model's, per bin of u (type 1) or per layer (type 2), in units of the layer's exact-error std.
#include <filesystem>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "axtrain/eval/inject_check.h"
#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/trainer.h"
#include "test_util.h"

namespace ax {
namespace {

const char* kFmnist = "/usr/share/datasets/fashion-mnist";

run::RunConfig tinyconv_config(const std::string& hardware) {
  std::string text = R"(name: inject_trained
seed: 1
data: {type: fashion_mnist, batch_size: 128, test_batch_size: 500, limit_train: 6000, limit_test: 500}
model: {type: tinyconv}
hardware: )" + hardware + R"(
optimizer: {type: adam, lr: 0.003}
phases: [{name: int8, mode: exact, epochs: 1}]
)";
  return run::parse_run_config(YAML::Load(text), "<test>");
}

struct Trained {
  run::RunConfig cfg;
  std::unique_ptr<data::Dataset> data;
  std::shared_ptr<models::Model> model;
  torch::Tensor a, b;
};

Trained& trained() {
  static Trained t = [] {
    Trained t{tinyconv_config("{type: fixed_point, input: {bits: 8, scale: calibrate, signed: auto}, weight: {bits: 8}}")};
    torch::manual_seed(1);
    t.data = t.cfg.data.open(1);
    t.model = t.cfg.model.build(t.data->input_shape(), t.data->num_classes());
    layers::attach_hardware(*t.model, t.cfg.hardware, 1);
    train::Trainer(run::trainer_options(t.cfg), *t.data, t.model, torch::kCPU).run();
    std::vector<std::int64_t> order(6000);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(7);
    std::shuffle(order.begin(), order.end(), rng);
    t.a = t.data->load(data::Part::Train, {order.begin(), order.begin() + 512}, false, rng).x;
    t.b = t.data->load(data::Part::Train, {order.begin() + 512, order.begin() + 1024}, false, rng).x;
    return t;
  }();
  return t;
}

std::vector<eval::InjectCheckLayer> check_on(const std::string& hardware) {
  Trained& t = trained();
  run::RunConfig c = tinyconv_config(hardware);
  layers::attach_hardware(*t.model, c.hardware, 1);
  train::calibrate_hardware(*t.model, *t.data, hw::Mode::Exact, torch::kCPU, 128);
  torch::manual_seed(3);
  return eval::inject_check(*t.model, t.a, t.b, c.inject.model);
}

// Type 1: in every bin with ≥ 200 samples and ≥ share · the layer's samples, |Δmean| and |Δstd| ≤ 10 %
// of the layer's exact-error std, plus three standard errors of the injected sample itself
// (s/√n for the mean, s/√(2n) for the std): the bin's injected errors are one draw of the model's
// noise, and the 10 % is a claim about the model, not about that draw.
void expect_bins_within(const std::vector<eval::InjectCheckLayer>& layers, const std::string& what, double share = 0.0) {
  ASSERT_EQ(layers.size(), 4u);
  for (const auto& l : layers) {
    EXPECT_EQ(l.split, "polarity") << what << " " << l.name;
    const double sd = l.exact.std;
    ASSERT_GT(sd, 0.0) << what << " " << l.name;
    int checked = 0;
    for (const auto& b : l.bins) {
      if (b.exact.count < 200 || static_cast<double>(b.exact.count) < share * static_cast<double>(l.exact.count)) continue;
      ++checked;
      const double n = static_cast<double>(b.injected.count);
      EXPECT_LE(std::abs(b.injected.mean - b.exact.mean), 0.1 * sd + 3 * b.injected.std / std::sqrt(n))
          << what << " " << l.name << fmt::format(" bin [{:.3g}, {:.3g}) n={}", b.lo, b.hi, b.exact.count);
      EXPECT_LE(std::abs(b.injected.std - b.exact.std), 0.1 * sd + 3 * b.injected.std / std::sqrt(2 * n))
          << what << " " << l.name << fmt::format(" bin [{:.3g}, {:.3g}) n={}", b.lo, b.hi, b.exact.count);
    }
    EXPECT_GT(checked, 0) << what << " " << l.name;
  }
}

TEST(InjectTrained, ScPerPolarityTableMatchesTheStreamsInEveryBin) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "needs Debian's dataset-fashion-mnist at " << kFmnist;
  expect_bins_within(check_on(test::source_dir() + "/configs/hw/sc32.yaml"), "sc32");
}

// mul7u_09Y meets the 10 % only in the bins that hold ≥ 5 % of a layer's samples: the multiplier's
// error is a fixed function of each (activation, weight) pair, so a sparse bin's mean depends on
// which filters' outputs land in it, and batches A and B differ there (up to 0.5 σ in bins of a few
// hundred to 85,000 of conv1's 25.7 M samples, and 272–502 of fc's 10,240, on this network;
// docs/results.md shows the same on the converged one). One model per layer and bin cannot follow
// that.
TEST(InjectTrained, Mul7u09YPerPolarityTableMatchesTheMultiplierInItsPopulatedBins) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "needs Debian's dataset-fashion-mnist at " << kFmnist;
  const std::string table = test::shared_dir() + "/data/multipliers/mul7u_09Y.txt";
  if (!std::filesystem::exists(table)) GTEST_SKIP() << "needs " << table;
  expect_bins_within(check_on("{type: approx_mul, multiplier: {type: table, path: " + table +
                              "}, input: {bits: 8, scale: calibrate, signed: true}, weight: {bits: 8, signed: true}}"),
                     "mul7u_09Y", 0.05);
}

// Type 2: per layer, |Δmean| and |Δstd| ≤ 5 % of the layer's exact-error std.
TEST(InjectTrained, AnalogGaussianMatchesTheAdcErrorPerLayer) {
  if (!std::filesystem::exists(kFmnist)) GTEST_SKIP() << "needs Debian's dataset-fashion-mnist at " << kFmnist;
  for (const auto& l : check_on(test::source_dir() + "/configs/hw/analog_adc4.yaml")) {
    EXPECT_EQ(l.split, "layer");
    ASSERT_GT(l.exact.std, 0.0) << l.name;
    EXPECT_LE(std::abs(l.injected.mean - l.exact.mean), 0.05 * l.exact.std) << l.name;
    EXPECT_LE(std::abs(l.injected.std - l.exact.std), 0.05 * l.exact.std) << l.name;
  }
}

}  // namespace
}  // namespace ax
