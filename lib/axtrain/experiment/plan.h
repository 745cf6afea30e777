// Plan: an experiment at one scale as tasks — one per cell and seed, each a short list of typed
// jobs (train, then evaluate or search) with the directories its results land in. The same jobs
// run locally (execute.h) or as Slurm job arrays (write_slurm), each as an axtrain child process
// whose arguments the app spells (JobArguments): the library knows no command-line flag.
//
// Every run, evaluation and search lands in one pool, <results>/runs, under its content hash (run
// id = hash of the resolved config; evaluation id = hash of its config and checkpoint; search id =
// hash of checkpoint and options): a cell that two experiments share (the same config and
// overrides) runs once, and a finished one is never repeated.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "axtrain/experiment/spec.h"
#include "axtrain/run/evaluation.h"

namespace ax::experiment {

// Trains the config with the overrides into the run pool `out_root`, resuming (a complete run is
// kept), without progress output.
struct TrainJob {
  std::string config;
  std::vector<config::Override> overrides;
  std::string out_root;
  std::int64_t ranks = 1;  // data-parallel ranks (the app starts them; on Slurm one srun step)
};
// The ApproxANN search of a checkpoint (eval/approxann.h), its result in `out`.
struct ApproxAnnJob {
  std::string checkpoint, hardware;  // hardware "" = the run's
  double bound = 0, step = 0, retrain_epochs = 0;
  std::string out;
};
// An evaluation is a run::EvalRequest (opt.resume and opt.quiet set).
using Job = std::variant<TrainJob, run::EvalRequest, ApproxAnnJob>;
// A job as axtrain arguments (without the binary); threads < 0: the option is left out.
using JobArguments = std::function<std::vector<std::string>(const Job& job, std::int64_t threads)>;

struct Task {
  const Cell* cell = nullptr;
  std::int64_t seed = 1;
  std::vector<Job> jobs;                           // run in order, each after the previous succeeded
  std::vector<std::size_t> deps;                   // tasks that must finish first
  std::string log_dir;                             // where its log goes
  std::string train_dir;                           // run directory of its training ("" = none)
  std::string checkpoint;                          // the network its eval/approxann uses
  std::optional<run::EvalRequest> eval;          // its evaluation, as `axtrain eval` gets it
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
// A task's jobs as one shell command line (`a && b`). With `srun`, a training job of several ranks
// is one Slurm job step of that many tasks (`srun --ntasks=N ...`, each rank reading SLURM_PROCID),
// its arguments those of one rank.
std::string task_line(const Task& t, const std::string& binary, const JobArguments& args, std::int64_t threads,
                      bool srun = false);
// The data-parallel ranks of a task's training (1 for none).
std::int64_t task_ranks(const Task& t);
// <plan.dir>/slurm: level<k>.txt (one task per line), level<k>.sbatch (an array over them) and
// submit.sh (sbatch per level, each after the previous one succeeded; at the end it prints
// `report`, the command that reports the experiment). Returns submit.sh's path.
std::string write_slurm(const Plan& plan, const std::string& binary, const JobArguments& args,
                        const std::vector<std::string>& report);

}  // namespace ax::experiment
