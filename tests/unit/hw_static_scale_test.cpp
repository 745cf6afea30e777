// Static, calibrated input scales (QuantSpec policy `calibrate`, issue 13 part 1): after the
// calibration batches, a sample's no-grad output does not depend on the rest of its batch — bit
// for bit for the integer models (sc, approx_mul tables and DRUM, analog), within 1e-6 for the
// float convolutions (fixed_point, ntv) — while the per-batch max_abs policy makes it depend on
// it. The frozen range equals the planted maximum of the calibration batches, survives a
// checkpoint round trip, and the option is rejected where it has no meaning.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/train/checkpoint.h"
#include "test_util.h"

namespace ax {
namespace {

using hw::MacOp;
using hw::Mode;

const MacOp kConv{MacOp::Kind::Conv2d, 1, 1};

// A 4-bit table that is not a product (T[a][b] = a·b + (a ^ b) for a, b > 0, 0 on zeros).
std::string table4() {
  static std::string path;
  if (!path.empty()) return path;
  path = test::temp_dir("static-scale") + "/t4.txt";
  std::ofstream f(path);
  f << "# name=t4 bits_a=4 bits_b=4 source=test\n";
  for (int a = 0; a < 16; ++a)
    for (int b = 0; b < 16; ++b) f << a * b + (a && b ? a ^ b : 0) << (b < 15 ? " " : "\n");
  return path;
}

struct Hw {
  std::string name, yaml;
  bool integer;  // bit-identical expected (else within 1e-6)
};

std::vector<Hw> calibrating() {
  const std::string cal = "scale: calibrate, calibration_batches: 3";
  return {
      {"sc", "{type: sc, input: {" + cal + "}}", true},
      {"sc_signed", "{type: sc, input: {" + cal + ", signed: auto}}", true},
      {"approx_mul table", "{type: approx_mul, multiplier: {type: table, path: " + table4() + "}, input: {bits: 5, " + cal + "}, weight: {bits: 5}}", true},
      {"approx_mul drum", "{type: approx_mul, multiplier: {type: drum, bits: 16, k: 4}, input: {bits: 16, " + cal + "}, weight: {bits: 16}}", true},
      {"analog", "{type: analog, input: {" + cal + "}, adc_bits: 4, full_scale: calibrate}", true},
      {"fixed_point", "{type: fixed_point, input: {" + cal + "}}", false},
      {"ntv", "{type: ntv, flip_rate: 0.01}", false},
  };
}

// Calibration inputs: batch k has max |x| = planted[k] (signed inputs when `negative`).
torch::Tensor cal_batch(int k, bool negative) {
  const double planted[] = {1.0, 3.0, 2.0, 50.0};
  torch::Tensor x = torch::rand({4, 3, 6, 6}) * 0.9 * planted[k];
  if (negative) x = x - 0.3 * planted[k];
  x.view(-1)[5] = planted[k];
  return x;
}

// One sample alone and the same sample first in a batch with a sample 8× larger than anything
// seen in calibration: the sample's output in both.
std::pair<torch::Tensor, torch::Tensor> alone_and_in_batch(hw::LayerHardware& h, const torch::Tensor& w, bool negative) {
  torch::NoGradGuard g;
  torch::manual_seed(99);
  torch::Tensor s = torch::rand({1, 3, 6, 6}) * 2.5;
  if (negative) s = s - 0.7;
  torch::Tensor big = torch::rand({3, 3, 6, 6}) * 24.0;
  torch::manual_seed(5);  // ntv: the same stored-bit flips for both reads
  torch::Tensor alone = h.forward(s, w, kConv, Mode::Exact);
  torch::manual_seed(5);
  torch::Tensor batch = h.forward(torch::cat({s, big}), w, kConv, Mode::Exact).narrow(0, 0, 1);
  return {alone, batch};
}

TEST(StaticScale, SampleOutputDoesNotDependOnItsBatchAfterCalibration) {
  for (const Hw& c : calibrating()) {
    auto h = test::make_hw(c.yaml);
    const bool negative = c.name == "sc_signed" || c.name == "fixed_point";
    torch::manual_seed(1);
    torch::Tensor w = torch::randn({5, 3, 3, 3}) * 0.3;
    h->train();
    {
      torch::NoGradGuard g;
      for (int k = 0; k < 3; ++k) h->forward(cal_batch(k, negative), w, kConv, Mode::Exact);
    }
    h->eval();
    auto [alone, batch] = alone_and_in_batch(*h, w, negative);
    if (c.integer)
      EXPECT_TRUE(torch::equal(alone, batch)) << c.name << ": " << (alone - batch).abs().max();
    else
      EXPECT_TRUE(torch::allclose(alone, batch, 1e-6, 1e-6 * alone.abs().max().item<double>())) << c.name;
    EXPECT_GT(alone.abs().max().item<double>(), 0.0) << c.name;
  }
}

// The old per-batch policy fails the same check (the test can tell the two apart).
TEST(StaticScale, PerBatchMaxAbsMakesTheSampleDependOnItsBatch) {
  for (const std::string& yaml :
       {"{type: approx_mul, multiplier: {type: table, path: " + table4() + "}, input: {bits: 5, scale: max_abs}, weight: {bits: 5}}",
        std::string("{type: sc, input: {scale: max_abs}}"),
        std::string("{type: analog, input: {scale: max_abs}, adc_bits: 4, full_scale: calibrate}")}) {
    auto h = test::make_hw(yaml);
    torch::manual_seed(1);
    torch::Tensor w = torch::randn({5, 3, 3, 3}) * 0.3;
    h->train();
    {
      torch::NoGradGuard g;
      h->forward(cal_batch(0, false), w, kConv, Mode::Exact);
    }
    h->eval();
    auto [alone, batch] = alone_and_in_batch(*h, w, false);
    EXPECT_FALSE(torch::allclose(alone, batch, 1e-3, 1e-3)) << yaml;
  }
}

TEST(StaticScale, RangeIsTheMaximumOfTheCalibrationBatchesThenFrozenAndCheckpointed) {
  auto h = test::make_hw("{type: fixed_point, input: {scale: calibrate, calibration_batches: 3}}");
  torch::Tensor w = torch::randn({5, 3, 3, 3});
  EXPECT_FALSE(h->input_range().has_value());
  EXPECT_EQ(h->calibration_batches_left(), 3);
  h->train();
  torch::NoGradGuard g;
  h->forward(cal_batch(0, true), w, kConv, Mode::Ideal);  // ideal mode: no hardware, no calibration
  EXPECT_EQ(h->calibration_batches_left(), 3);
  for (int k = 0; k < 4; ++k) h->forward(cal_batch(k, true), w, kConv, Mode::Exact);  // the 4th (50) comes too late
  ASSERT_TRUE(h->input_range().has_value());
  EXPECT_DOUBLE_EQ(h->input_range()->max_abs, 3.0);
  EXPECT_TRUE(h->input_range()->negative);
  EXPECT_EQ(h->calibration_batches_left(), 0);

  torch::serialize::OutputArchive out;
  train::save_model(*h, out);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  auto restored = test::make_hw("{type: fixed_point, input: {scale: calibrate, calibration_batches: 3}}");
  train::load_model(*restored, in, "<memory>");
  ASSERT_TRUE(restored->input_range().has_value());
  EXPECT_DOUBLE_EQ(restored->input_range()->max_abs, 3.0);
  EXPECT_EQ(restored->calibration_batches_left(), 0);
  h->eval();
  restored->eval();
  torch::Tensor x = cal_batch(3, true);
  EXPECT_TRUE(torch::equal(h->forward(x, w, kConv, Mode::Exact), restored->forward(x, w, kConv, Mode::Exact)));
}

TEST(StaticScale, CalibrateIsRejectedForWeightsAndBatchesWithoutIt) {
  EXPECT_THROW(test::make_hw("{type: fixed_point, weight: {scale: calibrate}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: drum, bits: 8, k: 3}, weight: {scale: calibrate}}"),
               ConfigError);
  EXPECT_THROW(test::make_hw("{type: sc, weight: {scale: calibrate}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, input: {scale: max_abs, calibration_batches: 4}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: fixed_point, input: {scale: calibrate, calibration_batches: 0}}"), ConfigError);
  EXPECT_NO_THROW(test::make_hw("{type: analog, input: {scale: calibrate, calibration_batches: 4}}"));
}

}  // namespace
}  // namespace ax
