// The shipped configs: every file in configs/ loads and validates, and the ones whose data is not
// on every machine (CIFAR-10 binary, ImageNet folders) run end to end through the CLI on
// generated files of the real formats, as written, with --set overrides only for size.
#include <cstdlib>
#include <fstream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/models/model.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/safetensors.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

namespace fs = boost::filesystem;

// Env variables the configs name for user-provided data.
void set_data_env(const std::string& dir) {
  setenv("CIFAR10_DIR", dir.c_str(), 1);
  setenv("IMAGENET_DIR", dir.c_str(), 1);
}

TEST(Configs, EveryShippedConfigValidates) {
  set_data_env("/nonexistent");  // validation does not open data
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/configs")) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    try {
      run::RunConfig c = run::load_run_config(e.path().string());
      EXPECT_FALSE(c.phases.empty()) << e.path();
      // The resolved config round-trips: loading its dump gives the same run id.
      run::RunConfig again = run::parse_run_config(c.to_yaml(), e.path().string());
      EXPECT_EQ(again.run_id(), c.run_id()) << e.path();
    } catch (const DataError& ex) {
      // Presets that load a multiplier table from ../shared/data: absent on a user's clone.
      if (fs::exists(test::shared_dir())) ADD_FAILURE() << e.path() << ": " << ex.what();
    } catch (const std::exception& ex) {
      ADD_FAILURE() << e.path() << ": " << ex.what();
    }
  }
  EXPECT_GE(n, 12);
}

// data_batch_1..5.bin and test_batch.bin with `per_file` records each (label, then 3072 pixels).
std::string make_cifar_bin(int per_file) {
  std::string dir = test::temp_dir("cfg-cifar");
  for (int f = 0; f < 6; ++f) {
    std::string bytes;
    for (int r = 0; r < per_file; ++r) {
      int label = (f + r) % 10;
      bytes += static_cast<char>(label);
      for (int j = 0; j < 3072; ++j) bytes += static_cast<char>((label * 25 + j % 7) & 0xFF);
    }
    test::write_text(dir + (f < 5 ? fmt::format("/data_batch_{}.bin", f + 1) : "/test_batch.bin"), bytes);
  }
  return dir;
}

// An ImageNet-style tree: ROOT/{train,val}/<wnid>/*.JPEG, images of mixed sizes.
std::string make_imagenet_tree(int classes, int per_class) {
  std::string root = test::temp_dir("cfg-imagenet");
  for (int c = 0; c < classes; ++c) {
    std::string wnid = fmt::format("n{:08d}", 1440764 + c);
    for (const char* part : {"train", "val"}) {
      fs::create_directories(fmt::format("{}/{}/{}", root, part, wnid));
      for (int i = 0; i < per_class; ++i) {
        int w = 80 + 16 * i, h = 64 + 8 * c;
        auto px = test::flat_rgb(w, h, static_cast<unsigned char>(40 * c), 128, static_cast<unsigned char>(200 - 30 * i));
        test::write_jpeg(fmt::format("{}/{}/{}/{}_{}.JPEG", root, part, wnid, wnid, i), px, w, h, 3);
      }
    }
  }
  return root;
}

nlohmann::json run_config(const std::string& config, const std::string& sets, const std::string& out) {
  test::CliResult r = test::run_cli(fmt::format("run {}/configs/{} {} --out {} --quiet", test::source_dir(), config,
                                                sets, out));
  EXPECT_EQ(r.code, 0) << r.out;
  if (r.code != 0) return {};
  std::string path = r.out.substr(0, r.out.find('\n'));
  return nlohmann::json::parse(std::ifstream(path));
}

TEST(Configs, CifarBinaryConfigsRunOnAGeneratedCifarDirectory) {
  std::string dir = make_cifar_bin(8);
  set_data_env(dir);  // inherited by the child process
  for (const char* model : {"tinyconv", "resnet_tiny"}) {
    nlohmann::json m = run_config("tinyconv_cifar10_bin.yaml",
                                  fmt::format("--set model.type={} --set phases.0.epochs=1 --set data.batch_size=8", model),
                                  dir + "/results");
    ASSERT_FALSE(m.is_null());
    EXPECT_EQ(m["dataset"]["train_examples"], 40);
    EXPECT_EQ(m["dataset"]["test_examples"], 8);
    EXPECT_EQ(m["model"]["type"], model);
    EXPECT_EQ(m["status"], "complete");
  }
  fs::remove_all(dir);
}

TEST(Configs, ImageNetConfigRunsOnAGeneratedFolderTree) {
  std::string root = make_imagenet_tree(3, 2);
  set_data_env(root);
  // As written (224×224 RandomResizedCrop, ResNet-18 with the ImageNet stem), a few images.
  nlohmann::json m = run_config("resnet18_imagenet.yaml",
                                "--set phases.0.epochs=1 --set data.batch_size=3 --set data.test_batch_size=3", root + "/results");
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["dataset"]["train_examples"], 6);
  EXPECT_EQ(m["dataset"]["classes"], 3);
  EXPECT_EQ(m["dataset"]["input_shape"], (std::vector<int>{3, 224, 224}));
  EXPECT_EQ(m["status"], "complete");
  fs::remove_all(root);
}

TEST(Configs, SyntheticImageNetConfigRuns) {
  std::string dir = test::temp_dir("cfg-synth");
  nlohmann::json m = run_config("resnet18_synthetic.yaml",
                                "--set data.train_size=8 --set data.test_size=4 --set data.batch_size=4", dir);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m["dataset"]["classes"], 1000);
  EXPECT_EQ(m["dataset"]["input_shape"], (std::vector<int>{3, 224, 224}));
  fs::remove_all(dir);
}

// The mission's example configs (Li et al. Tab.8 on ResNet-18) run end to end as written except for
// synthetic ImageNet-shaped data, a few batches, and pretrained weights that are this test's own
// random ResNet-18 written as safetensors (the torchvision export is not available here).
TEST(Configs, ResNet18ApproximateHardwareConfigsRunOnSyntheticData) {
  std::string dir = test::temp_dir("cfg-rn18");
  {
    YAML::Node n = YAML::Load("{type: resnet18, stem: imagenet}");
    config::Section s({{n, "<test>"}}, "model");
    auto model = models::ModelSpec::parse(s).build({3, 64, 64}, 1000);
    train::NamedTensors t;
    for (const auto& p : model->named_parameters()) t.tensors.emplace_back(p.key(), p.value());
    for (const auto& b : model->named_buffers()) t.tensors.emplace_back(b.key(), b.value());
    train::write_safetensors(dir + "/rn18.safetensors", t);
  }
  const std::string smoke =
      "--set 'data={type: synthetic, shape: [3, 64, 64], classes: 1000, train_size: 8, test_size: 4, batch_size: 4, "
      "test_batch_size: 4}' --set phases.0.epochs=1 --set phases.1.epochs=1 --set init.checkpoint=" + dir +
      "/rn18.safetensors";
  for (const char* cfg : {"resnet18_sc.yaml", "resnet18_am.yaml", "resnet18_analog4.yaml"}) {
    if (std::string(cfg) == "resnet18_am.yaml" && !fs::exists(test::shared_dir() + "/data/multipliers")) continue;
    nlohmann::json m = run_config(cfg, smoke, dir + "/results");
    ASSERT_FALSE(m.is_null()) << cfg;
    EXPECT_EQ(m["status"], "complete") << cfg;
    ASSERT_EQ(m["phases"].size(), 2u) << cfg;
    EXPECT_EQ(m["phases"][0]["mode"], "inject") << cfg;
    EXPECT_EQ(m["phases"][1]["mode"], "exact") << cfg;
    EXPECT_EQ(m["epochs"].size(), 2u) << cfg;
    // The inject phase calibrated (its first batch at least).
    std::string run_dir = dir + "/results/" + m["name"].get<std::string>() + "/" + m["run_id"].get<std::string>();
    std::ifstream cal(run_dir + "/calibration.jsonl");
    std::string line;
    EXPECT_TRUE(static_cast<bool>(std::getline(cal, line))) << cfg;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ax
