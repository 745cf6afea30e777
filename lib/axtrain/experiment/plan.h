// Plan: an experiment at one scale as tasks — one per cell and seed, each a short list of axtrain
// commands (run, then eval or approxann) with the directories its results land in. The same
// commands run locally (execute.h) or as Slurm job arrays (write_slurm).
//
// Every run, evaluation and search lands in one pool, <results>/runs, under its content hash (run
// id = hash of the resolved config; evaluation id = hash of its config and checkpoint; search id =
// hash of checkpoint and options): a cell that two experiments share (the same config and
// overrides) runs once, and a finished one is never repeated.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "axtrain/experiment/spec.h"
#include "axtrain/train/evaluation.h"

namespace ax::experiment {

struct Task {
  const Cell* cell = nullptr;
  std::int64_t seed = 1;
  std::vector<std::vector<std::string>> commands;  // axtrain arguments (without the binary)
  std::vector<std::size_t> deps;                   // tasks that must finish first
  std::string log_dir;                             // where its log goes
  std::string train_dir;                           // run directory of its training ("" = none)
  std::string checkpoint;                          // the network its eval/approxann uses
  std::optional<train::EvalRequest> eval;          // its evaluation, as `axtrain eval` gets it
  std::string approxann_dir;                       // approxann.json's directory ("" = none)
  std::string log;                                 // the commands' output
  // The evaluation's directory; "" while the evaluated network is not trained yet.
  std::string eval_dir() const;
  // Whether every result of the task exists (complete training run, evaluation, search).
  bool done() const;
};

struct Plan {
  const ExperimentSpec* spec = nullptr;
  Scale scale = Scale::Smoke;
  std::string dir;   // <results>/<id>/<scale>: tables, logs, slurm files
  std::string runs;  // <results>/runs: the shared pool of runs
  std::vector<Task> tasks;
  const Task* task(const std::string& cell, std::int64_t seed) const;
};

// Resolves every training cell's config (overrides, scale, seed, init) to find its run directory.
Plan make_plan(const ExperimentSpec& spec, Scale scale, const std::string& results_root);
// A shell command line (single-quoted words).
std::string shell_line(const std::string& binary, const std::vector<std::string>& args);
// <plan.dir>/slurm: level<k>.txt (one task per line), level<k>.sbatch (an array over them) and
// submit.sh (sbatch per level, each after the previous one succeeded). Returns submit.sh's path.
std::string write_slurm(const Plan& plan, const std::string& binary);

}  // namespace ax::experiment
