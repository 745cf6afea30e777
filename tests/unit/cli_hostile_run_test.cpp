// Issue 18, runs: checkpoints that lie, results that could be lost or written elsewhere, a full
// disk, two processes on one run, diverged training.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/sha256.h"
#include "cli_hostile_util.h"

namespace ax {
namespace {

using test::Result;
using test::run_limited;

const char* kHostileRun = R"(name: hostile
data: {type: synthetic, shape: [6], classes: 3, train_size: 60, test_size: 30, batch_size: 10, noise: 0.2}
model: {type: mlp, hidden: [8]}
optimizer: {type: adam, lr: 0.01}
phases: [{name: a, epochs: 2, mode: ideal}, {name: b, epochs: 2, mode: ideal, optimizer: {type: sgd, lr: 0.1}}]
)";

std::string config(const std::string& dir, const std::string& extra = "") {
  std::string path = dir + "/cfg.yaml";
  std::ofstream(path) << kHostileRun << extra;
  return path;
}

nlohmann::json metrics(const std::string& run_dir) { return nlohmann::json::parse(test::slurp(run_dir + "/metrics.json")); }

// A complete run; its directory.
std::string trained(const std::string& dir, const std::string& extra = "") {
  Result r = run_limited("run " + config(dir, extra) + " --out " + dir + "/out --quiet --threads 1", 120);
  EXPECT_EQ(r.code, 0) << r.out;
  return test::run_dir_of_output(r.out);
}

// Marks the run as interrupted so that --resume loads last.pt.
void mark_interrupted(const std::string& run_dir) {
  nlohmann::json m = metrics(run_dir);
  m["status"] = "running";
  test::spit(run_dir + "/metrics.json", m.dump());
}

// Rewrites the checkpoint's payload with `from` replaced by `to` (same length) and a matching
// checksum header (the format of train/checkpoint.h), so only the state validation can object.
void forge(const std::string& file, const std::string& from, const std::string& to) {
  ASSERT_EQ(from.size(), to.size());
  std::string bytes = test::slurp(file);
  const std::string magic = "AXTRAIN-CHECKPOINT 1\n";
  ASSERT_EQ(bytes.compare(0, magic.size(), magic), 0);
  const std::size_t start = magic.size() + 65;
  std::string payload = bytes.substr(start);
  auto at = payload.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  payload.replace(at, from.size(), to);
  test::spit(file, magic + sha256_hex(payload) + "\n" + payload);
}

TEST(CliHostileRun, ChangedCheckpointBytesAreDetectedOnResume) {
  std::string dir = test::temp_dir("hostile-ckpt");
  std::string run_dir = trained(dir);
  const std::string last = run_dir + "/last.pt";
  const std::string good = test::slurp(last);
  mark_interrupted(run_dir);
  // one flipped byte in the weights (the last tensors of the archive sit before its directory)
  for (std::size_t pos : {good.size() / 2, good.size() - 200, std::size_t{30}}) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    test::spit(last, bad);
    Result r = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
    EXPECT_EQ(r.code, 2) << pos << ": " << r.out;
    EXPECT_NE(r.out.find(last), std::string::npos) << r.out;
  }
  // the state record, with a valid checksum: every value is checked against the run's config
  const std::vector<std::pair<std::string, std::string>> lies{
      {"\"segment\":1", "\"segment\":7"},           // no such optimizer segment
      {"\"epochs_done\":4", "\"epochs_done\":9"},   // more epochs than the run has
      {"\"phase_batches\":[", "\"phase_batches\":{"},  // malformed JSON
      {"\"phase\":\"a\"", "\"phase\":\"z\""},       // no such phase
  };
  for (const auto& [from, to] : lies) {
    test::spit(last, good);
    forge(last, from, to);
    Result r = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
    EXPECT_EQ(r.code, 2) << to << ": " << r.out;
    EXPECT_NE(r.out.find(last), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("state"), std::string::npos) << r.out;  // the validation objected, not the reader
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
  test::spit(last, good);  // the untouched checkpoint resumes (nothing left to train)
  Result ok = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_EQ(metrics(run_dir)["status"], "complete");
}

TEST(CliHostileRun, PlainRerunOfACompleteRunIsRefused) {
  std::string dir = test::temp_dir("hostile-rerun");
  std::string run_dir = trained(dir);
  const std::string before = test::slurp(run_dir + "/metrics.json");
  Result r = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet", 60);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("already complete; use --resume"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--force"), std::string::npos) << r.out;
  EXPECT_EQ(test::slurp(run_dir + "/metrics.json"), before);
  Result f = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --force", 60);
  EXPECT_EQ(f.code, 0) << f.out;
  EXPECT_EQ(metrics(run_dir)["status"], "complete");
  // trained twice: the log (appended to by every session) has two starts, the refusal none
  const std::string log = test::slurp(run_dir + "/log.txt");
  const std::string start = "run hostile →";
  const auto first = log.find(start);
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find(start, first + 1), std::string::npos) << log;
}

TEST(CliHostileRun, ASecondProcessOnTheRunDirectoryNamesTheHolder) {
  std::string dir = test::temp_dir("hostile-lock");
  std::string run_dir = trained(dir);
  mark_interrupted(run_dir);
  // This test process holds the lock, as a running axtrain would.
  int fd = ::open((run_dir + "/.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(fd, F_SETLK, &fl), 0);
  const std::string before = test::slurp(run_dir + "/metrics.json");
  Result r = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(fmt::format("process {}", ::getpid())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(run_dir), std::string::npos) << r.out;
  EXPECT_EQ(test::slurp(run_dir + "/metrics.json"), before);
  ::close(fd);  // released: the run goes on
  Result ok = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
  EXPECT_EQ(ok.code, 0) << ok.out;
}

TEST(CliHostileRun, FullDiskKeepsThePreviousCheckpointAndLeavesNoTempFile) {
  std::string dir = test::temp_dir("hostile-disk");
  // 17,411 weights (70 kB). Phase a's SGD keeps one more copy (its momentum buffers), phase b's
  // Adam two: the checkpoint after epoch 1 is ~150 kB, after epoch 2 ~220 kB. A file size limit
  // of 180 kB (360 blocks of 512 bytes) lets metrics.json and the first checkpoint through and
  // fails the second one, as a full disk would.
  std::string cfg = dir + "/cfg.yaml";
  std::ofstream(cfg) << R"(name: disk
data: {type: synthetic, shape: [64], classes: 3, train_size: 60, test_size: 30, batch_size: 10, noise: 0.2}
model: {type: mlp, hidden: [256]}
optimizer: {type: sgd, lr: 0.05}
phases: [{name: a, epochs: 1, mode: ideal}, {name: b, epochs: 2, mode: ideal, optimizer: {type: adam, lr: 0.001}}]
)";
  Result ref = run_limited("run " + cfg + " --out " + dir + "/ref --quiet --threads 1", 60);
  ASSERT_EQ(ref.code, 0) << ref.out;
  const std::string ref_dir = test::run_dir_of_output(ref.out);
  ASSERT_GT(test::slurp(ref_dir + "/final.pt").size(), 200000u);  // the premise: Adam's checkpoint is large
  Result full = run_limited("run " + cfg + " --out " + dir + "/full --quiet --threads 1", 60,
                            "ulimit -f 360; trap \"\" XFSZ;");
  EXPECT_TRUE(full.code == 1 || full.code == 2) << full.out;
  EXPECT_NE(full.out.find("last.pt"), std::string::npos) << full.out;
  EXPECT_NE(full.out.find("errno"), std::string::npos) << full.out;
  const std::string run_dir = dir + "/full" + ref_dir.substr(ref_dir.find("/ref/") + 4);
  ASSERT_TRUE(test::exists(run_dir + "/last.pt")) << run_dir;
  EXPECT_LT(test::slurp(run_dir + "/last.pt").size(), 360u * 512);
  EXPECT_TRUE(test::temp_files(run_dir).empty());
  // the checkpoint of epoch 1 resumes, and the run ends as the uninterrupted one did
  Result resumed = run_limited("run " + cfg + " --out " + dir + "/full --quiet --threads 1 --resume", 60);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(metrics(run_dir)["final"]["test"], metrics(ref_dir)["final"]["test"]);
}

TEST(CliHostileRun, TempFilesOfInterruptedWritesAreRemovedAtStart) {
  std::string dir = test::temp_dir("hostile-tmp");
  std::string run_dir = trained(dir);
  mark_interrupted(run_dir);
  test::spit(run_dir + "/last.pt.tmp.999999", std::string(4096, 'x'));
  test::spit(run_dir + "/metrics.json.tmp.12", "{");
  Result r = run_limited("run " + dir + "/cfg.yaml --out " + dir + "/out --quiet --resume", 60);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(test::temp_files(run_dir).empty());
}

TEST(CliHostileRun, DivergedTrainingExitsThreeAndKeepsTheLastGoodCheckpoint) {
  std::string dir = test::temp_dir("hostile-diverge");
  // phase a trains normally; phase b's learning rate blows the weights up
  std::string cfg = dir + "/cfg.yaml";
  std::ofstream(cfg) << R"(name: diverge
data: {type: synthetic, shape: [6], classes: 3, train_size: 60, test_size: 30, batch_size: 10, noise: 0.2}
model: {type: mlp, hidden: [8]}
loss: {type: mse}
optimizer: {type: sgd, lr: 0.1}
phases: [{name: a, epochs: 1, mode: ideal}, {name: b, epochs: 2, mode: ideal, optimizer: {type: sgd, lr: 1000000, momentum: 0.9}}]
)";
  Result r = run_limited("run " + cfg + " --out " + dir + "/out --quiet --threads 1", 60);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("diverged"), std::string::npos) << r.out;
  // a failed run prints no metrics path: the one directory under out/diverge is the run
  std::string run_dir;
  for (boost::filesystem::directory_iterator it(dir + "/out/diverge"), end; it != end; ++it) run_dir = it->path().string();
  nlohmann::json m = metrics(run_dir);
  EXPECT_EQ(m["status"], "diverged");
  EXPECT_TRUE(m.contains("diverged"));
  EXPECT_GE(m["epochs"].size(), 1u);  // phase a's epoch, before phase b's learning rate of 10^6
  EXPECT_LT(m["epochs"].size(), 3u);
  // the last good checkpoint (after epoch 1) is kept and resumes, to diverge the same way again
  Result again = run_limited("run " + cfg + " --out " + dir + "/out --threads 1 --resume", 60);
  EXPECT_EQ(again.code, 3) << again.out;
  EXPECT_NE(again.out.find("resuming"), std::string::npos) << again.out;
}

TEST(CliHostileRun, ExperimentTablesShowADivergedCellAsDiverged) {
  std::string dir = test::temp_dir("hostile-diverge-sweep");
  std::string cfg = dir + "/tiny.yaml";
  std::ofstream(cfg) << R"(data: {type: synthetic, shape: [6], classes: 3, train_size: 60, test_size: 30, batch_size: 10, noise: 0.2}
model: {type: mlp, hidden: [8]}
loss: {type: mse}
optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
phases: [{name: a, epochs: 2, mode: ideal}]
)";
  Result r = run_limited("sweep " + cfg + " --grid optimizer.lr=0.1,1000000 --out " + dir + "/sweeps --threads 1", 120);
  EXPECT_EQ(r.code, 2) << r.out;  // one task did not complete
  const std::string table = test::slurp(dir + "/sweeps/sweep-tiny/full/table.md");
  EXPECT_NE(table.find("| optimizer.lr=1000000 | diverged |"), std::string::npos) << table;
  const std::string csv = test::slurp(dir + "/sweeps/sweep-tiny/full/table.csv");
  // ... within_tolerance, ours_std_over_draws (none), diverged_seeds
  EXPECT_NE(csv.find("\"optimizer.lr=1000000\",\"optimizer.lr=1000000\",,,0,,,—,,1\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"optimizer.lr=0.1\",\"optimizer.lr=0.1\","), std::string::npos) << csv;
}

}  // namespace
}  // namespace ax
