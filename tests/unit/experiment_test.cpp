// Named experiments and sweeps (lib/axtrain/experiment/): parsing with `for:` expansion, plans
// whose run directories match the runs, and end to end through the binary: run, resume, report,
// Slurm emission, sweeps.
#include <fstream>
#include <sstream>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/errors.h"
#include "axtrain/dist/comm.h"
#include "axtrain/dist/world.h"
#include "axtrain/experiment/plan.h"
#include "axtrain/experiment/report.h"
#include "axtrain/run/run_config.h"
#include "axtrain/run/runner.h"
#include "cli_hostile_util.h"
#include "test_util.h"

namespace fs = boost::filesystem;

namespace ax {
namespace {

const char* kRun = R"(name: tiny
data: {type: synthetic, shape: [6], classes: 3, train_size: 48, test_size: 24, batch_size: 12, noise: 1.5}
model: {type: mlp, hidden: [8]}
optimizer: {type: sgd, lr: 0.2}
hardware: {type: ideal}
phases: [{name: train, epochs: 4, mode: ideal}]
)";

// An experiment folder <dir>/experiments/<id>/experiment.yaml with the run config beside it.
std::string write_experiment(const std::string& dir, const std::string& id, const std::string& body) {
  fs::create_directories(dir + "/experiments/" + id);
  std::ofstream(dir + "/tiny.yaml") << kRun;
  const std::string f = dir + "/experiments/" + id + "/experiment.yaml";
  std::ofstream(f) << "id: " << id << "\n" << body;
  return f;
}

const char* kBody = R"(title: a planted experiment
metric: test_accuracy
seeds: 2
scales:
  smoke: {epochs: 0.5}
  full: {}
cells:
  - for: {lr: ["0.1", "0.3"]}
    id: "float/lr{lr}"
    config: TINY
    set: ["optimizer.lr={lr}"]
    paper: 0.5
  - id: ntv
    checkpoint_of: float/lr0.1
    eval: {hardware: NTV, repeats: 3}
    normalise_by: float/lr0.1
summaries:
  - {id: mean-float, op: mean, cells: "float/*", paper: 0.5}
  - {id: ratio, op: mean_ratio, cells: "ntv", over: "float/lr0.1"}
  - {id: self, op: mean_ratio, cells: "f*t/lr*", over: "f*t/lr*"}
)";

std::string body(const std::string& dir) {
  std::string b = kBody;
  b.replace(b.find("TINY"), 4, dir + "/tiny.yaml");
  std::ofstream(dir + "/ntv.yaml") << "hardware: {type: ntv, flip_rate: 0.01}\n";
  b.replace(b.find("NTV"), 3, dir + "/ntv.yaml");
  return b;
}

TEST(Experiment, ForExpandsAndThePlanMatchesTheRuns) {
  const std::string dir = test::temp_dir("exp-plan");
  experiment::ExperimentSpec e = experiment::load_experiment(write_experiment(dir, "planted", body(dir)));
  ASSERT_EQ(e.cells.size(), 3u);
  EXPECT_EQ(e.cells[0].id, "float/lr0.1");
  EXPECT_EQ(e.cells[1].id, "float/lr0.3");
  EXPECT_EQ(e.cells[1].set, std::vector<std::string>{"optimizer.lr=0.3"});
  experiment::Plan p = experiment::make_plan(e, experiment::Scale::Smoke, dir + "/results");
  ASSERT_EQ(p.tasks.size(), 6u);  // 3 cells × 2 seeds
  // the training cell's run directory: the config with its overrides, seed and halved epochs
  run::RunConfig cfg =
      run::load_run_config(dir + "/tiny.yaml", {"optimizer.lr=0.3", "seed=2", "phases.0.epochs=2"});
  run::RunOptions o;
  o.out_root = dir + "/results/runs";  // the shared pool
  EXPECT_EQ(p.task("float/lr0.3", 2)->train_dir, run::run_dir_of(cfg, o));
  const experiment::Task* ntv = p.task("ntv", 2);
  ASSERT_EQ(ntv->deps.size(), 1u);
  EXPECT_EQ(p.tasks[ntv->deps[0]].cell->id, "float/lr0.1");
  EXPECT_EQ(p.tasks[ntv->deps[0]].seed, 2);
  EXPECT_EQ(ntv->checkpoint, p.task("float/lr0.1", 2)->train_dir + "/final.pt");
  EXPECT_FALSE(ntv->done());
  EXPECT_EQ(ntv->eval_dir(), "");  // the network is not trained yet
  EXPECT_THROW(experiment::make_plan(e, experiment::Scale::Reduced, dir), ConfigError);  // no such scale
}

TEST(Experiment, BadFilesNameTheProblem) {
  const std::string dir = test::temp_dir("exp-bad");
  auto message = [&](const std::string& b) {
    try {
      experiment::load_experiment(write_experiment(dir, "bad", b));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("title: t\ncells:\n  - {id: a, checkpoint_of: b, eval: {}}\n").find("not a cell defined above"),
            std::string::npos);
  EXPECT_NE(message("title: t\ncells:\n  - {id: a, config: x.yaml, colour: red}\n").find("colour"), std::string::npos);
  EXPECT_NE(message("title: t\nmetric: speed\ncells: []\n").find("test_accuracy"), std::string::npos);
  EXPECT_NE(message("title: t\ncells:\n  - {id: a, config: x.yaml}\n  - {id: a, config: x.yaml}\n").find("duplicate"),
            std::string::npos);
}

std::map<std::string, std::vector<std::string>> read_csv(const std::string& path) {
  std::map<std::string, std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) cells.push_back(cell), cell.clear();
      else cell += ch;
    }
    cells.push_back(cell);
    rows[cells[0]] = cells;
  }
  return rows;
}

double accuracy_of(const std::string& metrics) {
  return nlohmann::json::parse(std::ifstream(metrics))["final"]["test"]["accuracy"].get<double>();
}

TEST(Experiment, RunsResumesReportsAndEmitsSlurm) {
  const std::string dir = test::temp_dir("exp-run");
  write_experiment(dir, "planted", body(dir));
  const std::string common = " --experiments " + dir + "/experiments --results " + dir + "/results";
  test::CliResult r = test::run_cli("experiment run planted --scale smoke --jobs 2" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("6 task(s) ran, 0 already done"), std::string::npos) << r.out;
  const std::string out = dir + "/results/planted/smoke";
  auto rows = read_csv(out + "/table.csv");
  // every cell has a number; ours = the mean over the two seeds' metrics.json; difference = ours − paper
  experiment::ExperimentSpec e = experiment::load_experiment(dir + "/experiments/planted/experiment.yaml");
  experiment::Plan p = experiment::make_plan(e, experiment::Scale::Smoke, dir + "/results");
  const double a1 = accuracy_of(p.task("float/lr0.3", 1)->train_dir + "/metrics.json");
  const double a2 = accuracy_of(p.task("float/lr0.3", 2)->train_dir + "/metrics.json");
  ASSERT_TRUE(rows.count("float/lr0.3"));
  EXPECT_NEAR(std::stod(rows["float/lr0.3"][2]), (a1 + a2) / 2, 1e-9);
  EXPECT_EQ(rows["float/lr0.3"][4], "2");
  EXPECT_NEAR(std::stod(rows["float/lr0.3"][6]), (a1 + a2) / 2 - 0.5, 1e-9);
  EXPECT_EQ(rows["float/lr0.3"][7], "(not judged)");
  // the NTV cell: its evaluation ÷ the float cell, per seed; the ratio summary is the same number
  double ratio = 0;
  for (int s = 1; s <= 2; ++s) {
    const experiment::Task* t = p.task("ntv", s);
    ratio += accuracy_of(t->eval_dir() + "/metrics.json") /
             accuracy_of(p.task("float/lr0.1", s)->train_dir + "/metrics.json") / 2;
  }
  EXPECT_NEAR(std::stod(rows["ntv"][2]), ratio, 1e-9);
  ASSERT_TRUE(rows.count("summary: ratio"));
  EXPECT_FALSE(rows["summary: ratio"][2].empty());
  EXPECT_FALSE(rows["summary: mean-float"][2].empty());
  EXPECT_EQ(rows["summary: self"][2], "1");  // each cell over itself: pairs matched on both '*'s
  EXPECT_EQ(rows["summary: self"][4], "2");
  // a second run finds everything done
  r = test::run_cli("experiment run planted --scale smoke" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("0 task(s) ran, 6 already done"), std::string::npos) << r.out;
  // another experiment with the same cell reuses the run from the shared pool
  write_experiment(dir, "other", "title: t\nscales: {smoke: {epochs: 0.5}}\nseeds: 2\ncells:\n  - {id: same, config: " + dir +
                                     "/tiny.yaml, set: [optimizer.lr=0.1]}\n");
  r = test::run_cli("experiment run other --scale smoke" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("0 task(s) ran, 2 already done"), std::string::npos) << r.out;
  // Slurm: the emitted per-task commands, run here for two tasks of a fresh results root, then report
  const std::string c2 = " --experiments " + dir + "/experiments --results " + dir + "/cluster";
  r = test::run_cli("experiment run planted --scale smoke --emit slurm" + c2);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string slurm = dir + "/cluster/planted/smoke/slurm";
  ASSERT_TRUE(fs::exists(slurm + "/submit.sh"));
  ASSERT_TRUE(fs::exists(slurm + "/level1.sbatch"));  // ntv waits for its network
  std::ifstream level0(slurm + "/level0.txt");
  std::string line;
  int n = 0;
  while (std::getline(level0, line) && n < 2) {
    if (n == 0 && (line.find("optimizer.lr=0.1'") == std::string::npos || line.find("'seed=1'") == std::string::npos))
      continue;  // lr0.1 seed 1 first
    ASSERT_EQ(std::system(("cd " + test::source_dir() + " && " + line + " > /dev/null 2>&1").c_str()), 0) << line;
    ++n;
  }
  r = test::run_cli("experiment report planted --scale smoke" + c2);
  ASSERT_EQ(r.code, 0) << r.out;
  auto cluster = read_csv(dir + "/cluster/planted/smoke/table.csv");
  EXPECT_EQ(cluster["float/lr0.1"][4], "1");  // one of two seeds ran
  EXPECT_NEAR(std::stod(cluster["float/lr0.1"][2]), accuracy_of(p.task("float/lr0.1", 1)->train_dir + "/metrics.json"), 1e-9);
  EXPECT_TRUE(cluster["ntv"][2].empty());
}

// A cell of `ranks: 2` trains as 2 data-parallel ranks: locally with --nproc 2 (its run id holds the
// world size), on Slurm as a job array of its own asking for 2 tasks per element, one srun step.
TEST(Experiment, ACellOfTwoRanksRunsLocallyAndEmitsOneSrunStep) {
  if (!dist::Comm::available()) GTEST_SKIP() << "this build has no c10d Gloo backend (libgloo-dev)";
  const std::string dir = test::temp_dir("exp-ranks");
  write_experiment(dir, "ranks", "title: t\nscales: {smoke: {epochs: 0.5}}\ncells:\n  - {id: one, config: " + dir +
                                     "/tiny.yaml}\n  - {id: two, config: " + dir + "/tiny.yaml, ranks: 2}\n");
  const std::string common = " --experiments " + dir + "/experiments";
  test::CliResult r = test::run_cli("experiment run ranks --scale smoke --results " + dir + "/results" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  experiment::ExperimentSpec e = experiment::load_experiment(dir + "/experiments/ranks/experiment.yaml");
  experiment::Plan p = experiment::make_plan(e, experiment::Scale::Smoke, dir + "/results");
  const auto m1 = nlohmann::json::parse(std::ifstream(p.task("one", 1)->train_dir + "/metrics.json"));
  const auto m2 = nlohmann::json::parse(std::ifstream(p.task("two", 1)->train_dir + "/metrics.json"));
  EXPECT_EQ(m1["world_size"], 1);
  EXPECT_EQ(m2["world_size"], 2);
  EXPECT_NE(p.task("one", 1)->train_dir, p.task("two", 1)->train_dir);
  r = test::run_cli("experiment run ranks --scale smoke --emit slurm --results " + dir + "/cluster" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string slurm = dir + "/cluster/ranks/smoke/slurm";
  const std::string plain = test::slurp(slurm + "/level0.txt"), multi = test::slurp(slurm + "/level0-ranks2.txt");
  EXPECT_EQ(plain.find("srun"), std::string::npos) << plain;
  EXPECT_EQ(multi.rfind("srun --ntasks=2 --kill-on-bad-exit=1 ", 0), 0u) << multi;
  EXPECT_EQ(multi.find("--nproc"), std::string::npos) << "srun starts the ranks: " << multi;
  const std::string sbatch = test::slurp(slurm + "/level0-ranks2.sbatch");
  EXPECT_NE(sbatch.find("#SBATCH --ntasks=2"), std::string::npos) << sbatch;
  EXPECT_NE(sbatch.find("export MASTER_ADDR="), std::string::npos) << sbatch;
  EXPECT_NE(sbatch.find("export MASTER_PORT="), std::string::npos) << sbatch;
  const std::string submit = test::slurp(slurm + "/submit.sh");
  EXPECT_NE(submit.find("level0.sbatch"), std::string::npos) << submit;
  EXPECT_NE(submit.find("level0-ranks2.sbatch"), std::string::npos) << submit;
  // The emitted step, run as srun would run it: two processes with Slurm's variables.
  const int port = dist::free_local_port();
  std::string step = multi.substr(std::string("srun --ntasks=2 --kill-on-bad-exit=1 ").size());
  step = step.substr(0, step.find('\n'));
  const std::string env = "SLURM_NTASKS=2 SLURM_NTASKS_PER_NODE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
  const std::string both = "cd " + test::source_dir() + "\n" + env + " SLURM_PROCID=1 SLURM_LOCALID=1 " + step +
                           " >/dev/null 2>&1 &\n" + env + " SLURM_PROCID=0 SLURM_LOCALID=0 " + step +
                           " >/dev/null 2>&1\ns=$?\nwait\nexit $s\n";
  test::spit(dir + "/step.sh", both);
  ASSERT_EQ(std::system(("sh " + dir + "/step.sh").c_str()), 0) << both;
  experiment::Plan pc = experiment::make_plan(e, experiment::Scale::Smoke, dir + "/cluster");
  const auto mc = nlohmann::json::parse(std::ifstream(pc.task("two", 1)->train_dir + "/metrics.json"));
  EXPECT_EQ(mc["world_size"], 2);
  EXPECT_EQ(mc["status"], "complete");
}

TEST(Experiment, CellsSelectsCellsAndWhatTheyNeed) {
  const std::string dir = test::temp_dir("exp-cells");
  write_experiment(dir, "planted", body(dir));
  test::CliResult r = test::run_cli("experiment run planted --scale smoke --cells ntv --experiments " + dir +
                                    "/experiments --results " + dir + "/results");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("4 task(s) ran, 0 already done"), std::string::npos) << r.out;  // ntv + float/lr0.1, 2 seeds
  auto rows = read_csv(dir + "/results/planted/smoke/table.csv");
  EXPECT_FALSE(rows["ntv"][2].empty());
  EXPECT_TRUE(rows["float/lr0.3"][2].empty());
}

TEST(Experiment, SweepTabulatesEveryGridPoint) {
  const std::string dir = test::temp_dir("exp-sweep");
  std::ofstream(dir + "/tiny.yaml") << kRun;
  test::CliResult r = test::run_cli("sweep " + dir + "/tiny.yaml --grid optimizer.lr=0.05,0.4 --grid model.hidden=[4],[8] --set phases.0.epochs=1 --out " + dir + "/sweeps");
  ASSERT_EQ(r.code, 0) << r.out;
  auto rows = read_csv(dir + "/sweeps/sweep-tiny/full/table.csv");
  EXPECT_EQ(rows.size(), 4u);
  for (const auto& [id, row] : rows) EXPECT_FALSE(row[2].empty()) << id;
  EXPECT_TRUE(rows.count("optimizer.lr=0.4,model.hidden=_8_"));
  // the table names the complete command (with its --set) and its source
  std::stringstream md;
  md << std::ifstream(dir + "/sweeps/sweep-tiny/full/table.md").rdbuf();
  EXPECT_NE(md.str().find("--grid optimizer.lr=0.05,0.4 --grid 'model.hidden=[4],[8]' --set phases.0.epochs=1`"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("Source: axtrain sweep of " + dir + "/tiny.yaml over optimizer.lr=0.05,0.4 × model.hidden=[4],[8]"), std::string::npos) << md.str();
  // the numeric first axis is the plot's x axis: one block per hidden size, x = the learning rates
  std::ifstream dat(dir + "/sweeps/sweep-tiny/full/plot.dat");
  std::vector<double> xs;
  for (std::string line; std::getline(dat, line);)
    if (!line.empty()) xs.push_back(std::stod(line));
  EXPECT_EQ(xs, (std::vector<double>{0.05, 0.4, 0.05, 0.4}));
}

TEST(Experiment, ScaleCellsOverrideTheirRecipe) {
  const std::string dir = test::temp_dir("exp-scale-cells");
  const std::string f = write_experiment(dir, "planted",
      "title: t\nscales:\n  cpu: {epochs: 0.5, cells: [{match: \"keep*\", epochs: 1, set: [optimizer.lr=0.3]}]}\n"
      "cells:\n  - {id: short, config: " + dir + "/tiny.yaml}\n  - {id: keep/it, config: " + dir + "/tiny.yaml}\n");
  experiment::ExperimentSpec e = experiment::load_experiment(f);
  experiment::Plan p = experiment::make_plan(e, experiment::Scale::Cpu, dir + "/results");
  EXPECT_EQ(p.dir, dir + "/results/planted/cpu");
  run::RunOptions o;
  o.out_root = dir + "/results/runs";
  // the scale's factor halves the 4 epochs of `short`; `keep/it` keeps its 4 and gets the extra override
  EXPECT_EQ(p.task("short", 1)->train_dir, run::run_dir_of(run::load_run_config(dir + "/tiny.yaml", std::vector<std::string>{"seed=1", "phases.0.epochs=2"}), o));
  EXPECT_EQ(p.task("keep/it", 1)->train_dir, run::run_dir_of(run::load_run_config(dir + "/tiny.yaml", std::vector<std::string>{"seed=1", "optimizer.lr=0.3"}), o));
  EXPECT_NE(p.task("keep/it", 1)->train_dir, run::run_dir_of(run::load_run_config(dir + "/tiny.yaml", {"seed=1"}), o));
}

}  // namespace
}  // namespace ax

namespace ax {
namespace {

// `metric: output_deviation` reads final.test.output_deviation of the cell's evaluation; a cell that
// shares another's evaluation (checkpoint_of it, the same request) reads the same directory; an
// evaluation in float (mode ideal) has nothing to compare, so its cell has no number.
TEST(Experiment, OutputDeviationCellsReadTheirEvaluation) {
  const std::string dir = test::temp_dir("exp-dev");
  std::ofstream(dir + "/fp.yaml") << "hardware: {type: fixed_point, input: {bits: 3}, weight: {bits: 3}}\n";
  write_experiment(dir, "dev",
                   "title: t\nscales: {smoke: {epochs: 0.5}}\ncells:\n  - {id: float, config: " + dir +
                       "/tiny.yaml}\n  - {id: fp, checkpoint_of: float, eval: {hardware: " + dir +
                       "/fp.yaml}, metric: test_loss}\n  - {id: fp/dev, checkpoint_of: fp, eval: {hardware: " + dir +
                       "/fp.yaml}, metric: output_deviation}\n  - {id: float/dev, checkpoint_of: float, eval: {mode: ideal}, "
                       "metric: output_deviation}\n");
  const std::string common = " --experiments " + dir + "/experiments --results " + dir + "/results";
  test::CliResult r = test::run_cli("experiment run dev --scale smoke" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  experiment::ExperimentSpec e = experiment::load_experiment(dir + "/experiments/dev/experiment.yaml");
  experiment::Plan p = experiment::make_plan(e, experiment::Scale::Smoke, dir + "/results");
  EXPECT_EQ(p.task("fp/dev", 1)->eval_dir(), p.task("fp", 1)->eval_dir());
  const nlohmann::json m = nlohmann::json::parse(std::ifstream(p.task("fp/dev", 1)->eval_dir() + "/metrics.json"));
  ASSERT_TRUE(m["final"]["test"].contains("output_deviation")) << m["final"]["test"].dump();
  const double d = m["final"]["test"]["output_deviation"].get<double>();
  EXPECT_GT(d, 0.0);  // 3-bit operands change the outputs
  auto rows = read_csv(dir + "/results/dev/smoke/table.csv");
  EXPECT_NEAR(std::stod(rows["fp/dev"][2]), d, 1e-12 * d);
  EXPECT_NEAR(std::stod(rows["fp"][2]), m["final"]["test"]["loss"].get<double>(), 1e-9);
  EXPECT_TRUE(rows["float/dev"][2].empty());
  EXPECT_TRUE(m["eval"]["output_deviation_computed"].get<bool>());

  // An evaluation written before the deviation existed (no output_deviation, no marker): the dev
  // cell is not done and its evaluation runs again, giving the same number (deterministic hardware).
  nlohmann::json old = m;
  old["final"]["test"].erase("output_deviation");
  old["eval"].erase("output_deviation_computed");
  std::ofstream(p.task("fp/dev", 1)->eval_dir() + "/metrics.json") << old.dump();
  EXPECT_TRUE(p.task("fp", 1)->done());
  EXPECT_FALSE(p.task("fp/dev", 1)->done());
  r = test::run_cli("experiment run dev --scale smoke" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(p.task("fp/dev", 1)->done());
  rows = read_csv(dir + "/results/dev/smoke/table.csv");
  EXPECT_NEAR(std::stod(rows["fp/dev"][2]), d, 1e-12 * d);
}

}  // namespace
}  // namespace ax
