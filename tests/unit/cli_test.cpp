// End to end through the built binary: run on synthetic data, metrics.json layout, exit codes.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace ax {
namespace {

using Result = test::CliResult;
Result run(const std::string& args) { return test::run_cli(args); }

std::string write_config(const std::string& dir, const std::string& text) {
  std::string path = dir + "/cfg.yaml";
  std::ofstream(path) << text;
  return path;
}

const char* kConfig = R"(name: cli
data: {type: synthetic, shape: [1, 12, 12], classes: 4, train_size: 64, test_size: 32, batch_size: 16, noise: 0.1}
model: {type: tinyconv, activation: relu}
optimizer: {type: adam, lr: 0.01}
hardware: {type: fixed_point}
phases: [{name: warm, epochs: 1, mode: ideal}, {name: train, epochs: 1}]
)";

TEST(Cli, RunWritesMetricsJsonWithTheDocumentedLayout) {
  std::string dir = test::temp_dir("cli");
  std::string cfg = write_config(dir, kConfig);
  Result r = run("run " + cfg + " --out " + dir + "/results --quiet --threads 1");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string path = r.out.substr(0, r.out.find('\n'));
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "no metrics.json at " << path << "\n" << r.out;
  nlohmann::json m = nlohmann::json::parse(in);
  for (const char* k : {"schema_version", "config", "git_revision", "seed", "device", "torch_version", "host",
                        "epochs", "final", "peak_rss_bytes", "wall_seconds"})
    EXPECT_TRUE(m.contains(k)) << k;
  EXPECT_EQ(m["status"], "complete");
  EXPECT_EQ(m["host"]["threads"], 1);
  ASSERT_EQ(m["epochs"].size(), 2u);
  const auto& e = m["epochs"][1];
  EXPECT_EQ(e["epoch"], 2);
  EXPECT_EQ(e["phase"], "train");
  for (const char* k : {"data", "forward", "backward", "eval", "total"}) EXPECT_TRUE(e["seconds"].contains(k)) << k;
  double acc = m["final"]["test"]["accuracy"];
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
  EXPECT_EQ(m["config"]["hardware"]["type"], "fixed_point");
  std::string run_dir = path.substr(0, path.rfind('/'));
  for (const char* f : {"/config.yaml", "/log.txt", "/final.pt", "/last.pt"})
    EXPECT_TRUE(std::ifstream(run_dir + f).good()) << f;
  // --resume of a complete run does not train again.
  Result again = run("run " + cfg + " --out " + dir + "/results --quiet --resume");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
}

TEST(Cli, BadInputExitsWithTwoAndNamesTheProblem) {
  std::string dir = test::temp_dir("cli-bad");
  std::string cfg = write_config(dir, std::string(kConfig) + "eval: {every: 0}\n");
  Result r = run("validate " + cfg);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("cfg.yaml:7:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eval.every"), std::string::npos) << r.out;
  EXPECT_EQ(run("run " + dir + "/missing.yaml").code, 2);
  EXPECT_EQ(run("frobnicate").code, 2);
  std::string bad_data = write_config(dir, R"(data: {type: mnist, path: /nonexistent/dir}
model: {type: mlp}
phases: [{epochs: 1}]
)");
  Result d = run("run " + bad_data + " --out " + dir);
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.out.find("/nonexistent/dir"), std::string::npos) << d.out;
}

std::string metrics_path(const Result& r) { return r.out.substr(0, r.out.find('\n')); }
nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(std::ifstream(path)); }

TEST(Cli, EvalReproducesTheRunsOwnTestMetricsAndTakesOtherHardware) {
  std::string dir = test::temp_dir("cli-eval");
  std::string cfg = write_config(dir, kConfig);
  Result r = run("run " + cfg + " --out " + dir + "/results --quiet");
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json trained = read_json(metrics_path(r));
  std::string run_dir = metrics_path(r).substr(0, metrics_path(r).rfind('/'));
  // Same hardware (the run's config.yaml beside the checkpoint): the final test metrics exactly.
  Result e = run("eval --checkpoint " + run_dir + "/final.pt --out " + dir + "/eval --quiet");
  ASSERT_EQ(e.code, 0) << e.out;
  nlohmann::json m = read_json(metrics_path(e));
  EXPECT_EQ(m["status"], "complete");
  EXPECT_EQ(m["final"]["test"]["accuracy"], trained["final"]["test"]["accuracy"]);
  EXPECT_EQ(m["final"]["test"]["loss"], trained["final"]["test"]["loss"]);
  EXPECT_EQ(m["eval"]["hardware"], "fixed_point");
  // Another hardware model with repeated fault draws: NTV at a high flip rate varies per draw.
  std::ofstream(dir + "/ntv.yaml") << "hardware: {type: ntv, flip_rate: 0.002}\n";
  Result n = run("eval --checkpoint " + run_dir + "/final.pt --hardware " + dir + "/ntv.yaml --repeats 4 --out " + dir +
                 "/eval --quiet");
  ASSERT_EQ(n.code, 0) << n.out;
  nlohmann::json nm = read_json(metrics_path(n));
  EXPECT_EQ(nm["eval"]["hardware"], "ntv");
  EXPECT_EQ(nm["config"]["hardware"]["type"], "ntv");
  EXPECT_EQ(nm["final"]["test"]["repeats"], 4);
  EXPECT_GT(nm["final"]["test"]["loss_max"].get<double>(), nm["final"]["test"]["loss_min"].get<double>());
  EXPECT_NE(metrics_path(n), metrics_path(e));
  // A checkpoint without config.yaml beside it needs --config.
  Result bad = run("eval --checkpoint " + cfg + " --quiet");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--config"), std::string::npos) << bad.out;
}

TEST(Cli, SensitivityApproxAnnAndPowerOnATrainedRun) {
  std::string dir = test::temp_dir("cli-axtools");
  std::string cfg = write_config(dir, R"(name: tools
data: {type: synthetic, shape: [6], classes: 3, train_size: 60, test_size: 30, batch_size: 10, noise: 0.2}
model: {type: mlp, hidden: [8]}
loss: {type: mse}
optimizer: {type: sgd, lr: 0.5}
hardware: {type: approx_mul, multiplier: {type: drum, bits: 16, k: 4}, input: {bits: 16, scale: pow2}, weight: {bits: 16, scale: pow2}}
phases: [{name: bp, epochs: 3, mode: ideal}]
)");
  Result r = run("run " + cfg + " --out " + dir + "/results --quiet");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string ckpt = metrics_path(r).substr(0, metrics_path(r).rfind('/')) + "/final.pt";
  // sensitivity: S(w) = Σ of the per-layer S; the CSV of the last layer (3 × 8) sums to its S
  Result s = run("sensitivity --checkpoint " + ckpt + " --out " + dir + "/sens --quiet");
  ASSERT_EQ(s.code, 0) << s.out;
  double total = 0, fc2 = 0, layers = 0;
  {
    std::istringstream in(s.out);
    std::string word, name;
    while (in >> word) {
      if (word == "S(w)") in >> total;
      if (word == "layer") {
        double v;
        in >> name >> word >> v;
        layers += v;
        if (name == "fc2") fc2 = v;
      }
    }
  }
  EXPECT_GT(total, 0);
  EXPECT_NEAR(layers, total, 1e-4 * total);
  std::ifstream csv(dir + "/sens/fc2.csv");
  std::string line;
  std::getline(csv, line);  // comment
  double sum = 0;
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::istringstream cells(line);
    std::string c;
    int cols = 0;
    while (std::getline(cells, c, ',')) sum += std::stod(c), ++cols;
    EXPECT_EQ(cols, 8);
  }
  EXPECT_EQ(rows, 3);
  EXPECT_NEAR(sum, fc2, 1e-4 * fc2);
  std::ifstream png(dir + "/sens/fc2.png", std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
  // power on DRUM k = 4: every product at 0.16 pJ instead of 0.8, plus the 0.1 pJ add
  Result p = run("power " + cfg);
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_NE(p.out.find(fmt::format("relative compute {:.4f}", 0.26 / 0.9)), std::string::npos) << p.out;
  // approxann with an unbounded loss switches every neuron (8 + 3) and writes its JSON
  Result a = run("approxann --checkpoint " + ckpt + " --bound 1 --out " + dir + "/aa --quiet");
  ASSERT_EQ(a.code, 0) << a.out;
  nlohmann::json j = read_json(dir + "/aa/approxann.json");
  EXPECT_EQ(j["neurons"], 11);
  EXPECT_EQ(j["approx_neurons"], 11);
  EXPECT_DOUBLE_EQ(j["multipliers"].get<double>(), 6 * 8 + 8 * 3);
  EXPECT_NEAR(j["power"]["relative_compute"].get<double>(), 0.26 / 0.9, 1e-9);
}

TEST(Cli, ValidateListAndVersion) {
  std::string dir = test::temp_dir("cli-ok");
  Result v = run("validate " + write_config(dir, kConfig));
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_EQ(v.out.rfind("ok: cli", 0), 0u) << v.out;
  Result d = run("validate " + write_config(dir, kConfig) + " --dump-config");
  EXPECT_NE(d.out.find("test_batch_size: 1000"), std::string::npos) << d.out;
  Result l = run("list models");
  EXPECT_NE(l.out.find("tinyconv"), std::string::npos);
  Result ver = run("--version");
  EXPECT_NE(ver.out.find("LibTorch"), std::string::npos) << ver.out;
}

}  // namespace
}  // namespace ax
