// Data-parallel training on c10d (issue 16), on this machine's loopback: the launcher's
// environment contract, 2 ranks × batch B against 1 process × batch 2B, the inject calibration's
// fit on the union of the ranks' batches, and a lost rank failing the group instead of hanging.
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/errors.h"
#include "axtrain/dist/comm.h"
#include "axtrain/dist/world.h"
#include "axtrain/layers/batch_norm.h"
#include "axtrain/models/model.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/safetensors.h"
#include "axtrain/data/spec.h"
#include "cli_hostile_util.h"
#include "data_test_util.h"

namespace ax {
namespace {

using test::run_limited;

dist::World world_of(const std::map<std::string, std::string>& env) {
  return dist::world_from_env([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(Distributed, TheWorldComesFromTorchrunsOrSlurmsEnvironment) {
  const dist::World none = world_of({});
  EXPECT_EQ(none.size, 1);
  EXPECT_FALSE(none.distributed());
  const dist::World t = world_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                                  {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29511"}});
  EXPECT_EQ(t.rank, 3);
  EXPECT_EQ(t.size, 4);
  EXPECT_EQ(t.local_rank, 1);
  EXPECT_EQ(t.local_size, 2);
  EXPECT_EQ(t.master_addr, "node7");
  EXPECT_EQ(t.master_port, 29511);
  const dist::World s = world_of({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"},
                                  {"SLURM_NTASKS_PER_NODE", "4"}, {"MASTER_ADDR", "n1"}, {"MASTER_PORT", "4000"}});
  EXPECT_EQ(s.rank, 5);
  EXPECT_EQ(s.size, 8);
  EXPECT_EQ(s.local_rank, 1);
  EXPECT_EQ(s.local_size, 4);
  // Inconsistent or incomplete: a UsageError naming the variable.
  for (const auto& bad : std::vector<std::map<std::string, std::string>>{
           {{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}},
           {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}},
           {{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}},
           {{"RANK", "0"}, {"WORLD_SIZE", "two"}}}) {
    EXPECT_THROW(world_of(bad), UsageError);
  }
}

std::string write_config(const std::string& dir, const std::string& name, const std::string& body) {
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << "name: " << name << "\n" << body;
  return path;
}

// The final weights of a run directory, loaded into the config's model.
std::vector<torch::Tensor> final_weights(const std::string& config, const std::string& run_dir,
                                         const std::vector<std::int64_t>& shape, std::int64_t classes = 10) {
  run::RunConfig cfg = run::load_run_config(config, std::vector<std::string>{});
  auto model = cfg.model.build(shape, classes);
  train::load_model_file(*model, run_dir + "/final.pt");
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  return out;
}

// Trains `one` in one process and `two` as 2 ranks (--nproc 2), 1 thread each, into dir; their run
// directories (a failed run fails the test).
struct Pair {
  std::string one, two;
};
Pair run_one_and_two_ranks(const std::string& one, const std::string& two, const std::string& dir) {
  const auto a = run_limited("run " + one + " --quiet --threads 1 --out " + dir, 300);
  EXPECT_EQ(a.code, 0) << a.out;
  const auto b = run_limited("run " + two + " --quiet --nproc 2 --threads 1 --out " + dir, 300);
  EXPECT_EQ(b.code, 0) << b.out;
  if (a.code != 0 || b.code != 0) return {};
  EXPECT_EQ(b.out.find("/metrics.json"), b.out.rfind("/metrics.json")) << "only rank 0 reports: " << b.out;
  return {test::run_dir_of_output(a.out), test::run_dir_of_output(b.out)};
}

// The tests that start ranks need c10d's Gloo backend (Debian: libgloo-dev at build time).
#define SKIP_WITHOUT_GLOO() \
  if (!dist::Comm::available()) GTEST_SKIP() << "this build has no c10d Gloo backend (libgloo-dev)"

// 2 ranks × batch B and 1 process × batch 2B, same seed, ideal hardware, synchronised BatchNorm,
// SGD with momentum:
// every step sees the same examples and the same averaged gradient, so the weights agree up to
// the order of float additions — one process sums the 2B examples' gradients in one reduction,
// the ranks sum B each and then add the two halves. The difference per step is a few float
// roundings (~1e-7 relative); over 8 steps it stays below 1e-5 of the largest weight.
TEST(Distributed, TwoRanksOfBatchBTrainAsOneProcessOfBatch2B) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_equal");
  for (const std::string model : {"{type: mlp, hidden: [32]}", "{type: tinyconv}"}) {
    const bool mlp = model.find("mlp") != std::string::npos;
    const std::string shape = mlp ? "[20]" : "[1, 28, 28]";
    // TinyConv has BatchNorm: with synchronised statistics its forward is the one process's.
    const std::string body = "seed: 5\nmodel: " + model + "\nphases: [{epochs: 2}]\n" +
                             "distributed: {sync_batchnorm: true}\n" +
                             "optimizer: {type: sgd, lr: 0.05, momentum: 0.9}\n" +
                             "data: {type: synthetic, shape: " + shape +
                             ", train_size: 128, test_size: 64, batch_size: BS, test_batch_size: 32}\n";
    auto with = [&](int bs) { return std::regex_replace(body, std::regex("BS"), std::to_string(bs)); };
    const std::string one = write_config(dir, mlp ? "mlp_one" : "tc_one", with(32));
    const std::string two = write_config(dir, mlp ? "mlp_two" : "tc_two", with(16));
    const Pair runs = run_one_and_two_ranks(one, two, dir);
    ASSERT_FALSE(runs.two.empty());
    const std::string da = runs.one, db = runs.two;
    const auto m = nlohmann::json::parse(test::slurp(db + "/metrics.json"));
    EXPECT_EQ(m["world_size"], 2);
    EXPECT_EQ(m["global_batch_size"], 32);
    const std::vector<std::int64_t> in = mlp ? std::vector<std::int64_t>{20} : std::vector<std::int64_t>{1, 28, 28};
    const auto wa = final_weights(one, da, in), wb = final_weights(two, db, in);
    ASSERT_EQ(wa.size(), wb.size());
    double scale = 0, diff = 0;
    for (std::size_t i = 0; i < wa.size(); ++i) {
      scale = std::max(scale, wa[i].abs().max().item<double>());
      diff = std::max(diff, (wa[i] - wb[i]).abs().max().item<double>());
    }
    EXPECT_LT(diff, 1e-5 * scale) << model << ": 2 ranks differ from 1 process by " << diff;
    // Training and test metrics of the two runs (the test set is evaluated in shards and summed).
    const auto ma = nlohmann::json::parse(test::slurp(da + "/metrics.json"));
    EXPECT_NEAR(ma["final"]["test"]["accuracy"].get<double>(), m["final"]["test"]["accuracy"].get<double>(), 1.5 / 64)
        << model;
    EXPECT_EQ(ma["final"]["test"]["examples"], m["final"]["test"]["examples"]);
    EXPECT_NEAR(ma["epochs"].back()["train"]["loss"].get<double>(), m["epochs"].back()["train"]["loss"].get<double>(),
                1e-4)
        << model;
  }
}

// SyncBatchNorm in a world of one equals LibTorch's BatchNorm: output, running statistics and the
// gradients of input, weight and bias (the independent truth for the all-reduced form).
struct OneRank final : dist::Comm {
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void all_reduce_max(std::vector<torch::Tensor>&) override {}
  torch::Tensor all_gather(const torch::Tensor& t) override { return t; }
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier() override {}
};

TEST(Distributed, SyncBatchNormInAWorldOfOneIsBatchNorm) {
  torch::manual_seed(4);
  OneRank one;
  dist::CurrentScope scope(&one, /*sync_batchnorm=*/true);
  for (int d : {1, 2}) {
    torch::Tensor x = d == 1 ? torch::randn({16, 5}) * 3 + 1 : torch::randn({6, 5, 4, 3}) * 2 - 1;
    torch::nn::BatchNorm2d bn2(torch::nn::BatchNormOptions(5).momentum(0.3));
    torch::nn::BatchNorm1d bn1(torch::nn::BatchNormOptions(5).momentum(0.3));
    torch::nn::Module& ref = d == 1 ? static_cast<torch::nn::Module&>(*bn1) : *bn2;
    for (auto& p : ref.parameters()) p.data().uniform_(0.5, 1.5);
    torch::Tensor xa = x.clone().requires_grad_(true), xb = x.clone().requires_grad_(true);
    torch::Tensor g = torch::randn_like(x);
    torch::Tensor ya, yb;
    auto check = [&](auto& a, auto b) {
      ya = a->forward(xa);  // LibTorch's BatchNorm
      yb = layers::batch_norm(b, xb);  // training mode, synchronised
      (ya * g).sum().backward();
      (yb * g).sum().backward();
      EXPECT_TRUE(torch::allclose(ya, yb, 1e-5, 1e-5)) << d;
      EXPECT_TRUE(torch::allclose(xa.grad(), xb.grad(), 1e-4, 1e-5)) << d;
      EXPECT_TRUE(torch::allclose(a->weight.grad(), b->weight.grad(), 1e-4, 1e-5)) << d;
      EXPECT_TRUE(torch::allclose(a->bias.grad(), b->bias.grad(), 1e-4, 1e-5)) << d;
      EXPECT_TRUE(torch::allclose(a->running_mean, b->running_mean, 1e-5, 1e-6)) << d;
      EXPECT_TRUE(torch::allclose(a->running_var, b->running_var, 1e-5, 1e-6)) << d;
      EXPECT_EQ(a->num_batches_tracked.template item<std::int64_t>(), b->num_batches_tracked.template item<std::int64_t>());
    };
    if (d == 1) {
      auto b = torch::nn::BatchNorm1d(std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(bn1->clone()));
      check(bn1, b);
    } else {
      auto b = torch::nn::BatchNorm2d(std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(bn2->clone()));
      check(bn2, b);
    }
  }
}

// Augmentation is keyed by (step, example), not by rank or batch: an example is cropped and
// flipped the same inside the whole global batch and inside a rank's half of it.
TEST(Distributed, AnExampleIsAugmentedTheSameInAnyShardOfItsBatch) {
  auto ds = test::data_spec("{type: synthetic, shape: [3, 12, 12], train_size: 64, test_size: 8, augmentation: crop_flip}")
                .open(1);
  const std::vector<std::int64_t> global{5, 9, 1, 30, 17, 2, 44, 8};
  std::mt19937_64 r_all(11), r_half0(11), r_half1(11), r_other(12);
  const torch::Tensor all = ds->load(data::Part::Train, global, true, r_all).x;
  const torch::Tensor h0 = ds->load(data::Part::Train, {global.begin(), global.begin() + 4}, true, r_half0).x;
  const torch::Tensor h1 = ds->load(data::Part::Train, {global.begin() + 4, global.end()}, true, r_half1).x;
  EXPECT_TRUE(torch::equal(all, torch::cat({h0, h1})));
  // The plain images differ from the augmented ones somewhere (the augmentation did something),
  // and another step's key augments differently.
  std::mt19937_64 unused(0);
  EXPECT_FALSE(torch::equal(all, ds->load(data::Part::Train, global, false, unused).x));
  EXPECT_FALSE(torch::equal(all, ds->load(data::Part::Train, global, true, r_other).x));
}

// Bit-identical where every sum is exact in fp32: integer inputs, integer weights, an MSE loss over
// 16 × 2 outputs (a power of two) and a power-of-two learning rate make the step's gradient a sum of
// dyadic numbers with few bits, exact in any order; so 2 ranks × 8 and 1 process × 16 must give the
// same bits after the step (one step: the next forward would need more than fp32's 24 bits).
TEST(Distributed, BitIdenticalWhereEverySumIsExact) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_exact");
  std::string csv = "a,b,c,d,label\n";
  std::mt19937 planted(3);
  for (int r = 0; r < 32; ++r) {
    for (int c = 0; c < 4; ++c) csv += std::to_string(planted() % 4) + ",";
    csv += std::to_string(planted() % 2) + "\n";
  }
  test::spit(dir + "/ints.csv", csv);
  // Integer weights in -1..1, zero biases, written as the network the runs start from.
  run::RunConfig probe = run::load_run_config(
      write_config(dir, "probe", "model: {type: mlp, hidden: [4]}\nphases: [{epochs: 1}]\n"
                                 "data: {type: synthetic, shape: [4], classes: 2}\n"),
      std::vector<std::string>{});
  auto net = probe.model.build({4}, 2);
  train::NamedTensors planted_weights;
  for (const auto& p : net->named_parameters()) {
    torch::Tensor t = p.key().find("bias") != std::string::npos ? torch::zeros_like(p.value())
                                                                : torch::randint(-1, 2, p.value().sizes(), torch::kFloat32);
    planted_weights.tensors.emplace_back(p.key(), t);
  }
  train::write_safetensors(dir + "/init.safetensors", planted_weights);
  const std::string body = "seed: 4\nmodel: {type: mlp, hidden: [4]}\nloss: {type: mse}\nphases: [{epochs: 1}]\n"
                           "init: {checkpoint: " + dir + "/init.safetensors}\n"
                           "optimizer: {type: sgd, lr: 0.0625, momentum: 0}\n"
                           "data: {type: csv, path: " + dir + "/ints.csv, num_classes: 2, standardise: false, "
                           "split: {train_rows: [1, 16], test_rows: [17, 32]}, batch_size: BS, test_batch_size: 16}\n";
  const std::string one = write_config(dir, "exact_one", std::regex_replace(body, std::regex("BS"), "16"));
  const std::string two = write_config(dir, "exact_two", std::regex_replace(body, std::regex("BS"), "8"));
  const Pair runs = run_one_and_two_ranks(one, two, dir);
  ASSERT_FALSE(runs.two.empty());
  const auto wa = final_weights(one, runs.one, {4}, 2);
  const auto wb = final_weights(two, runs.two, {4}, 2);
  ASSERT_EQ(wa.size(), wb.size());
  bool moved = false;
  for (std::size_t i = 0; i < wa.size(); ++i) {
    EXPECT_TRUE(torch::equal(wa[i], wb[i])) << "parameter " << i << ":\n" << wa[i] << "\n" << wb[i];
    moved = moved || !torch::equal(wa[i], planted_weights.tensors[i].second);
  }
  EXPECT_TRUE(moved) << "the step changed no weight: the comparison would be empty";
}

// SC-GDC's per-sample steps across ranks: each example's steps are drawn by the rank that holds it,
// keyed by its row in the global batch and from its δ in the global batch's units, and the counts
// are summed; so 2 ranks × 16 move the counters as 1 process × 32 does (a draw can only differ
// where the float δ of an example differs in its last bit between the two batch shapes).
TEST(Distributed, ScGdcPerSampleStepsAcrossRanksAreOneProcesssSteps) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_scgdc");
  const std::string body = "seed: 6\nmodel: {type: mlp, hidden: [24]}\nphases: [{epochs: 1}]\n"
                           "optimizer: {type: sc_gdm, lr: 0.05, step: 0.0009765625, steps: per_sample}\n"
                           "data: {type: synthetic, shape: [20], train_size: 128, test_size: 64, batch_size: BS, "
                           "test_batch_size: 32}\n";
  const std::string one = write_config(dir, "gdc_one", std::regex_replace(body, std::regex("BS"), "32"));
  const std::string two = write_config(dir, "gdc_two", std::regex_replace(body, std::regex("BS"), "16"));
  const Pair runs = run_one_and_two_ranks(one, two, dir);
  ASSERT_FALSE(runs.two.empty());
  const auto wa = final_weights(one, runs.one, {20});
  const auto wb = final_weights(two, runs.two, {20});
  ASSERT_EQ(wa.size(), wb.size());
  double same = 0, all = 0, worst = 0;
  for (std::size_t i = 0; i < wa.size(); ++i) {
    const torch::Tensor steps = ((wa[i] - wb[i]) / 0.0009765625).abs();
    same += (steps < 0.5).sum().item<double>();
    all += static_cast<double>(steps.numel());
    worst = std::max(worst, steps.max().item<double>());
  }
  EXPECT_GE(same / all, 0.999) << "counters that differ: " << all - same << " of " << all;
  EXPECT_LE(worst, 2.0);
  const auto m = nlohmann::json::parse(test::slurp(runs.two + "/metrics.json"));
  EXPECT_EQ(m["world_size"], 2);
}

// The launcher contract: two processes started with torchrun's variables by hand form one run.
TEST(Distributed, ProcessesStartedWithTorchrunsVariablesJoinOneRun) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_env");
  const std::string cfg = write_config(dir, "env", "seed: 3\nmodel: {type: mlp, hidden: [8]}\nphases: [{epochs: 1}]\n"
                                                   "data: {type: synthetic, shape: [6], train_size: 64, test_size: 32, "
                                                   "batch_size: 8, test_batch_size: 16}\n");
  const int port = dist::free_local_port();
  const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2";
  const std::string launch = env + " RANK=1 LOCAL_RANK=1 " + AXTRAIN_BINARY + " run " + cfg + " --quiet --threads 1 --out " +
                             dir + " > " + dir + "/rank1.txt 2>&1 & " + env + " RANK=0 LOCAL_RANK=0 ";
  const auto r = run_limited("run " + cfg + " --quiet --threads 1 --out " + dir, 300, launch);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto m = nlohmann::json::parse(test::slurp(test::run_dir_of_output(r.out) + "/metrics.json"));
  EXPECT_EQ(m["world_size"], 2);
  EXPECT_EQ(m["status"], "complete");
}

// Inject-mode calibration with 2 ranks fits one model on the union of the two shards' batches: at
// the first step both runs hold the same weights and the ranks' shards are the two halves of the
// one process's batch, so the first calibration record is the one-process fit (DRUM: a
// deterministic multiplier; the activation scales are the union's maximum too).
TEST(Distributed, InjectCalibrationFitsTheUnionOfTheRanksBatches) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_inject");
  const std::string body = "seed: 2\nmodel: {type: mlp, hidden: [16]}\nhardware: configs/hw/drum_k4.yaml\n"
                           "phases: [{mode: inject, epochs: 1, calibrate: {every_batches: 100}}]\n"
                           "data: {type: synthetic, shape: [12], train_size: 64, test_size: 32, batch_size: BS, "
                           "test_batch_size: 32}\n";
  const std::string one = write_config(dir, "inj_one", std::regex_replace(body, std::regex("BS"), "32"));
  const std::string two = write_config(dir, "inj_two", std::regex_replace(body, std::regex("BS"), "16"));
  const Pair runs = run_one_and_two_ranks(one, two, dir);
  ASSERT_FALSE(runs.two.empty());
  auto first = [](const std::string& run_dir) {
    std::ifstream in(run_dir + "/calibration.jsonl");
    std::string line;
    std::getline(in, line);
    return nlohmann::json::parse(line);
  };
  const auto ca = first(runs.one), cb = first(runs.two);
  ASSERT_TRUE(ca.contains("layers")) << ca.dump();
  ASSERT_EQ(ca["layers"].size(), cb["layers"].size());
  std::size_t compared = 0;
  for (auto it = ca["layers"].begin(); it != ca["layers"].end(); ++it) {
    const auto& la = it.value();
    const auto& lb = cb["layers"][it.key()];
    // Every number of the record (sample counts, bin means and stds, fitted coefficients).
    std::function<void(const nlohmann::json&, const nlohmann::json&, const std::string&)> same =
        [&](const nlohmann::json& x, const nlohmann::json& y, const std::string& at) {
          if (x.is_number()) {
            ASSERT_TRUE(y.is_number()) << at;
            EXPECT_NEAR(x.get<double>(), y.get<double>(), 1e-6 * (1 + std::abs(x.get<double>()))) << at;
            ++compared;
          } else if (x.is_object()) {
            for (auto j = x.begin(); j != x.end(); ++j) same(j.value(), y[j.key()], at + "." + j.key());
          } else if (x.is_array()) {
            ASSERT_EQ(x.size(), y.size()) << at;
            for (std::size_t k = 0; k < x.size(); ++k) same(x[k], y[k], at + "[" + std::to_string(k) + "]");
          }
        };
    same(la, lb, it.key());
  }
  EXPECT_GT(compared, 20u);
}

// A 2-rank run whose rank 1 is killed after the first checkpoint, resumed with 2 ranks, ends
// with the metrics of an uninterrupted 2-rank run.
TEST(Distributed, AKilledRunResumesWithTwoRanksToTheUninterruptedMetrics) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_resume");
  const std::string cfg = write_config(
      dir, "resume", "seed: 9\nmodel: {type: mlp, hidden: [48]}\nphases: [{epochs: 5}]\ndistributed: {timeout: 20}\n"
                     "optimizer: {type: sgd, lr: 0.02, momentum: 0.9}\n"
                     "data: {type: synthetic, shape: [32], train_size: 6000, test_size: 200, batch_size: 8}\n");
  const auto clean = run_limited("run " + cfg + " --quiet --threads 1 --nproc 2 --out " + dir + "/clean", 600);
  ASSERT_EQ(clean.code, 0) << clean.out;
  // The interrupted run: rank 1 is killed as soon as the first last.pt appears.
  const int port = dist::free_local_port();
  const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2";
  const std::string bin = AXTRAIN_BINARY;
  const std::string out = dir + "/cut";
  const std::string script =
      env + " RANK=1 " + bin + " run " + cfg + " --quiet --threads 1 --out " + out + " >/dev/null 2>&1 & r1=$!; " +
      env + " RANK=0 " + bin + " run " + cfg + " --quiet --threads 1 --out " + out + " >" + dir + "/r0.txt 2>&1 & r0=$!; " +
      "for i in $(seq 1 1200); do [ -n \"$(find " + out + " -name last.pt 2>/dev/null)\" ] && break; sleep 0.05; done; "
      "kill -9 $r1; wait $r0; echo rank0=$?";
  FILE* p = popen(("sh -c '" + script + "'").c_str(), "r");
  std::string text;
  char buf[512];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  pclose(p);
  ASSERT_NE(text.find("rank0="), std::string::npos) << text;
  EXPECT_EQ(text.find("rank0=0"), std::string::npos) << "the run was not interrupted: " << text;
  const auto resumed = run_limited("run " + cfg + " --quiet --threads 1 --nproc 2 --resume --out " + out, 600);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  const auto a = nlohmann::json::parse(test::slurp(test::run_dir_of_output(clean.out) + "/metrics.json"));
  const auto b = nlohmann::json::parse(test::slurp(test::run_dir_of_output(resumed.out) + "/metrics.json"));
  ASSERT_EQ(a["epochs"].size(), b["epochs"].size());
  for (std::size_t e = 0; e < a["epochs"].size(); ++e) {
    EXPECT_EQ(a["epochs"][e]["train"]["loss"], b["epochs"][e]["train"]["loss"]) << "epoch " << e + 1;
    EXPECT_EQ(a["epochs"][e]["test"]["accuracy"], b["epochs"][e]["test"]["accuracy"]) << "epoch " << e + 1;
  }
}

// A rank that dies mid-run: the other fails within the configured timeout, saying that a rank is
// gone, instead of waiting forever; the launcher names the dead rank.
TEST(Distributed, ALostRankFailsTheGroupWithinTheTimeout) {
  SKIP_WITHOUT_GLOO();
  const std::string dir = test::temp_dir("dist_kill");
  const std::string cfg = write_config(
      dir, "kill", "model: {type: mlp, hidden: [64]}\nphases: [{epochs: 50}]\ndistributed: {timeout: 20}\n"
                   "data: {type: synthetic, shape: [64], train_size: 4096, test_size: 64, batch_size: 8}\n");
  const int port = dist::free_local_port();
  const std::string env = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2";
  // Rank 1 is killed 4 s after it starts; rank 0 runs under the test's 90 s limit.
  const std::string launch = env + " RANK=1 timeout -s KILL 4 " + AXTRAIN_BINARY + " run " + cfg +
                             " --quiet --threads 1 --out " + dir + " >/dev/null 2>&1 & " + env + " RANK=0 ";
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_limited("run " + cfg + " --quiet --threads 1 --out " + dir, 90, launch);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.code, 137) << "rank 0 hung until the test killed it: " << r.out;
  EXPECT_NE(r.out.find("distributed:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 0 of 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 1 stopped"), std::string::npos) << "the lost rank is named: " << r.out;
  EXPECT_LT(seconds, 4 + 20 + 30) << r.out;
}

}  // namespace
}  // namespace ax
