// Contracts driven by the registries: every registered dataset, optimizer and schedule type has a
// case here (a type registered without one fails the suite) and each case passes its kind's
// contract. Hardware: hw_conformance_test.cpp; models: models_test.cpp (ModelZoo iterates the
// model registry).
//  - datasets, on planted files: the planted sizes, shapes and labels; load is deterministic for a
//    fixed generator; the config round-trips;
//  - optimizers: the config round-trips; from w = 0 they minimise ½‖w − w*‖² (planted w*) to
//    below 1 % of the start;
//  - schedules: the config round-trips; without warm-up the rate starts at the base rate, never
//    rises and never goes negative over the segment.
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "axtrain/config/section.h"
#include "axtrain/config/yaml_json.h"
#include "axtrain/data/dataset.h"
#include "axtrain/data/spec.h"
#include "axtrain/train/optim.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

// ---------------------------------------------------------------------------------------------
// Datasets

// Planted IDX files (data_test_util.h): n images of 4×3, pixel byte i = i mod 251, label i mod 3.
void write_idx(const std::string& dir, const std::string& images, const std::string& labels, std::uint32_t n) {
  test::write_text(dir + "/" + images, test::idx_images(n, 4, 3));
  test::write_text(dir + "/" + labels, test::idx_labels(n, 3));
}

struct DataCase {
  std::string yaml;
  std::int64_t train, test;
  std::vector<std::int64_t> shape;
  std::int64_t classes;
};

std::map<std::string, DataCase> data_cases() {
  const std::string dir = test::temp_dir("registry-data");
  write_idx(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 7);
  write_idx(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 4);
  std::string cifar = dir + "/cifar";
  boost::filesystem::create_directories(cifar);
  for (int f = 0; f < 6; ++f) {
    std::string bytes;
    for (int r = 0; r < 2; ++r) bytes += static_cast<char>((f + r) % 10) + std::string(3072, static_cast<char>(f * 2 + r));
    test::write_text(cifar + (f < 5 ? fmt::format("/data_batch_{}.bin", f + 1) : "/test_batch.bin"), bytes);
  }
  std::string csv = "a,b,c,label\n", arff = "@relation t\n@attribute a numeric\n@attribute b numeric\n"
                                           "@attribute c numeric\n@attribute class {x, y}\n@data\n";
  for (int i = 0; i < 10; ++i) {
    csv += fmt::format("{},{},{},{}\n", i, 2 * i, 3 * i, i % 2);
    arff += fmt::format("{},{},{},{}\n", i, 2 * i, 3 * i, i % 2 ? "y" : "x");
  }
  test::write_text(dir + "/t.csv", csv);
  test::write_text(dir + "/t.arff", arff);
  const std::string tree = dir + "/tree";
  for (const char* part : {"train", "val"})
    for (const char* cls : {"a_cat", "b_dog"}) {
      boost::filesystem::create_directories(fmt::format("{}/{}/{}", tree, part, cls));
      for (int i = 0; i < (std::string(part) == "train" ? 2 : 1); ++i)
        test::write_jpeg(fmt::format("{}/{}/{}/{}.jpg", tree, part, cls, i), test::flat_rgb(20, 20, 200, 30, 30), 20, 20, 3);
    }
  const std::string rows = "split: {train_rows: [1, 6], test_rows: [7, 10]}";
  return {
      {"synthetic", {"{type: synthetic, shape: [2, 5, 5], classes: 4, train_size: 12, test_size: 8}", 12, 8, {2, 5, 5}, 4}},
      {"idx", {fmt::format("{{type: idx, path: '{}', train_images: train-images-idx3-ubyte, train_labels: "
                           "train-labels-idx1-ubyte, test_images: t10k-images-idx3-ubyte, test_labels: "
                           "t10k-labels-idx1-ubyte, num_classes: 3}}", dir), 7, 4, {1, 4, 3}, 3}},
      {"mnist", {fmt::format("{{type: mnist, path: '{}'}}", dir), 7, 4, {1, 4, 3}, 10}},
      {"fashion_mnist", {fmt::format("{{type: fashion_mnist, path: '{}'}}", dir), 7, 4, {1, 4, 3}, 10}},
      {"cifar10", {fmt::format("{{type: cifar10, path: '{}'}}", cifar), 10, 2, {3, 32, 32}, 10}},
      {"csv", {fmt::format("{{type: csv, path: '{}/t.csv', {}}}", dir, rows), 6, 4, {3}, 2}},
      {"arff", {fmt::format("{{type: arff, path: '{}/t.arff', {}}}", dir, rows), 6, 4, {3}, 2}},
      {"image_folder", {fmt::format("{{type: image_folder, path: '{}', image_size: 8, workers: 1}}", tree), 4, 2, {3, 8, 8}, 2}},
  };
}

TEST(Registries, EveryDatasetTypeKeepsItsContract) {
  data::register_all();
  const auto cases = data_cases();
  for (const auto& name : data::dataset_registry().names()) {
    auto it = cases.find(name);
    if (it == cases.end()) {
      ADD_FAILURE() << "dataset type '" << name << "' is registered but has no case in registry_conformance_test.cpp";
      continue;
    }
    SCOPED_TRACE(name);
    const DataCase& c = it->second;
    const data::DataSpec spec = test::data_spec(c.yaml);
    auto ds = spec.open(1);
    EXPECT_EQ(ds->size(data::Part::Train), c.train);
    EXPECT_EQ(ds->size(data::Part::Test), c.test);
    EXPECT_EQ(ds->input_shape(), c.shape);
    EXPECT_EQ(ds->num_classes(), c.classes);
    std::vector<std::int64_t> idx{0, c.test - 1};
    std::mt19937_64 r1(5), r2(5);
    const data::Batch a = ds->load(data::Part::Test, idx, false, r1), b = ds->load(data::Part::Test, idx, false, r2);
    std::vector<std::int64_t> want{2};
    want.insert(want.end(), c.shape.begin(), c.shape.end());
    EXPECT_EQ(a.x.sizes().vec(), want);
    EXPECT_TRUE(torch::equal(a.x, b.x));
    EXPECT_TRUE(torch::equal(a.y, b.y));
    EXPECT_TRUE(a.y.ge(0).all().item<bool>() && a.y.lt(c.classes).all().item<bool>()) << a.y;
    const std::string once = config::to_yaml_string(spec.dump());
    EXPECT_EQ(config::to_yaml_string(test::data_spec(once).dump()), once);
  }
  // The planted IDX pixels arrive in order: test image 3 holds bytes 36, 37, … (scaled to [0, 1]).
  const auto idx = test::data_spec(cases.at("idx").yaml).open(1);
  std::mt19937_64 r(1);
  const data::Batch b = idx->load(data::Part::Test, {3}, false, r);
  EXPECT_NEAR(b.x.flatten()[1].item<double>(), 37.0 / 255.0, 1e-6);
  EXPECT_EQ(b.y[0].item<std::int64_t>(), 0);
}

// ---------------------------------------------------------------------------------------------
// Optimizers and schedules

template <class Spec>
Spec parse_spec(const std::string& yaml, const std::string& path) {
  config::Section s({{YAML::Load(yaml), "<test>"}}, path);
  Spec spec = Spec::parse(s);
  s.finish();
  return spec;
}

// The case of a registered name, parsed and checked to round-trip; nullopt (and a failure) when the
// name has none.
template <class Spec>
std::optional<Spec> registered_case(const std::map<std::string, std::string>& cases, const std::string& name,
                                    const std::string& kind) {
  auto it = cases.find(name);
  if (it == cases.end()) {
    ADD_FAILURE() << kind << " '" << name << "' is registered but has no case in registry_conformance_test.cpp";
    return std::nullopt;
  }
  const auto spec = parse_spec<Spec>(it->second, kind);
  const std::string once = config::to_yaml_string(spec.dump());
  EXPECT_EQ(config::to_yaml_string(parse_spec<Spec>(once, kind).dump()), once);
  return spec;
}

const std::map<std::string, std::string>& optimizer_cases() {
  static const std::map<std::string, std::string> c{
      {"sgd", "{type: sgd, lr: 0.1, momentum: 0.9}"},
      {"adam", "{type: adam, lr: 0.01}"},
      // per_batch: a bare tensor has no Linear layer whose per-sample gradients could be tapped
      {"sc_gdm", "{type: sc_gdm, lr: 0.5, momentum: 0.5, steps: per_batch}"},
  };
  return c;
}

TEST(Registries, EveryOptimizerMinimisesAPlantedQuadratic) {
  train::register_all();
  for (const auto& name : train::optimizer_registry().names()) {
    SCOPED_TRACE(name);
    const auto found = registered_case<train::OptimizerSpec>(optimizer_cases(), name, "optimizer");
    if (!found) continue;
    const train::OptimizerSpec& spec = *found;
    torch::manual_seed(4);
    const torch::Tensor target = torch::rand({64}) * 0.2 - 0.1;
    torch::Tensor w = torch::zeros({64}, torch::requires_grad());
    auto opt = spec.options->make({w}, spec.lr);
    auto loss = [&] { return 0.5 * (w - target).pow(2).sum(); };
    const double start = loss().item<double>();
    for (int step = 0; step < 400; ++step) {
      opt->zero_grad();
      torch::Tensor l = loss();
      l.backward();
      opt->step();
    }
    EXPECT_LT(loss().item<double>(), 0.01 * start);
  }
}

const std::map<std::string, std::string>& schedule_cases() {
  static const std::map<std::string, std::string> c{
      {"constant", "{type: constant}"},
      {"step", "{type: step, step_epochs: 3, gamma: 0.5}"},
      {"exponential", "{type: exponential, gamma: 0.8}"},
      {"cosine", "{type: cosine, min_lr: 0.001}"},
      {"poly", "{type: poly, power: 2}"},
  };
  return c;
}

TEST(Registries, EveryScheduleStartsAtTheBaseRateAndNeverRises) {
  train::register_all();
  for (const auto& name : train::schedule_registry().names()) {
    SCOPED_TRACE(name);
    const auto found = registered_case<train::ScheduleSpec>(schedule_cases(), name, "schedule");
    if (!found) continue;
    const train::ScheduleSpec& spec = *found;
    const double base = 0.1, total = 10;
    EXPECT_DOUBLE_EQ(spec.lr(base, 0, total), base);
    double previous = base;
    for (int i = 1; i <= 100; ++i) {
      const double lr = spec.lr(base, total * i / 100.0, total);
      EXPECT_LE(lr, previous + 1e-15) << "t = " << total * i / 100.0;
      EXPECT_GE(lr, 0.0);
      previous = lr;
    }
  }
}

}  // namespace
}  // namespace ax
