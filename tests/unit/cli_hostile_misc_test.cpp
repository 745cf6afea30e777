// Issue 18, silent surprises: eval of a model with NaN weights, validate and hardware.exclude,
// lut from-c on a function that never returns.
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axtrain/hw/approx_mul/lut_from_c.h"
#include "axtrain/models/model.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/safetensors.h"
#include "cli_hostile_util.h"

namespace ax {
namespace {

using test::Result;
using test::run_limited;

const char* kNanRun = R"(name: nan
data: {type: synthetic, shape: [6], classes: 3, train_size: 30, test_size: 20, batch_size: 10}
model: {type: mlp, hidden: [8]}
phases: [{epochs: 1, mode: ideal}]
)";

TEST(CliHostileMisc, EvalOfNanWeightsReportsTheNan) {
  std::string dir = test::temp_dir("hostile-nan");
  const std::string cfg_path = dir + "/cfg.yaml";
  std::ofstream(cfg_path) << kNanRun;
  run::RunConfig cfg = run::load_run_config(cfg_path);
  auto model = cfg.model.build({6}, 3);
  train::NamedTensors t;
  for (const auto& p : model->named_parameters())
    t.tensors.emplace_back(p.key(), torch::full_like(p.value(), std::nan("")));
  train::write_safetensors(dir + "/nan.safetensors", t);
  Result r = run_limited("eval --checkpoint " + dir + "/nan.safetensors --config " + cfg_path + " --out " + dir +
                             "/eval --quiet --threads 1", 60);
  EXPECT_EQ(r.code, 3) << r.out;
  const auto at = r.out.find("written to ");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string path = r.out.substr(at + 11);
  path = path.substr(0, path.find('\n'));
  nlohmann::json m = nlohmann::json::parse(test::slurp(path));
  EXPECT_EQ(m["final"]["test"]["loss"], "NaN") << m.dump();
  EXPECT_NE(m["status"], "complete");
}

TEST(CliHostileMisc, ValidateChecksHardwareLayerNamesAsRunDoes) {
  std::string dir = test::temp_dir("hostile-exclude");
  for (const char* model : {"{type: mlp, hidden: [8]}", "{type: lenet5}", "{type: resnet_tiny}"}) {
    std::ofstream(dir + "/cfg.yaml") << "data: {type: synthetic, shape: [1, 12, 12], classes: 3}\nmodel: " << model
                                     << "\nhardware: {type: fixed_point, exclude: [fc9]}\nphases: [{epochs: 1}]\n";
    Result v = run_limited("validate " + dir + "/cfg.yaml", 60);
    EXPECT_EQ(v.code, 2) << model << ": " << v.out;
    EXPECT_NE(v.out.find("'fc9' is not a layer of this model"), std::string::npos) << v.out;
    Result d = run_limited("validate " + dir + "/cfg.yaml --dump-config", 60);
    EXPECT_EQ(d.code, 2) << d.out;
  }
  std::ofstream(dir + "/ok.yaml") << "data: {type: synthetic, shape: [6], classes: 3}\nmodel: {type: mlp, hidden: [8]}\n"
                                     "hardware: {type: fixed_point, exclude: [fc1], layers: {fc2: {type: ideal}}}\n"
                                     "phases: [{epochs: 1}]\n";
  Result ok = run_limited("validate " + dir + "/ok.yaml", 60);
  EXPECT_EQ(ok.code, 0) << ok.out;
}

TEST(CliHostileMisc, LutFromCStopsAFunctionThatNeverReturns) {
  if (hw::amul::find_on_path("cc").empty()) GTEST_SKIP() << "no C compiler (cc) on PATH";
  std::string dir = test::temp_dir("hostile-lut");
  std::ofstream(dir + "/loop.c") << "unsigned m(unsigned a, unsigned b) { volatile int x = 1; while (x) {} return a * b; }\n";
  Result r = run_limited("lut from-c " + dir + "/loop.c --function m --bits 2 --timeout 8 --out " + dir + "/t.txt", 60);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("tabulating 'm' did not finish within 8 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loop.c"), std::string::npos) << r.out;
  EXPECT_FALSE(test::exists(dir + "/t.txt"));
  // a function that crashes: the signal, in words, not a raw wait status
  std::ofstream(dir + "/crash.c") << "#include <stdlib.h>\nunsigned m(unsigned a, unsigned b) { abort(); return 0; }\n";
  Result c = run_limited("lut from-c " + dir + "/crash.c --function m --bits 2 --out " + dir + "/t.txt", 60);
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("killed by signal 6"), std::string::npos) << c.out;
}

}  // namespace
}  // namespace ax
