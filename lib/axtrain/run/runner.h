// run_training: one run end to end — open the data, build the model, attach the hardware, train
// with observers writing <out>/<name>/<run_id>/{config.yaml, metrics.json, log.txt, last.pt,
// final.pt}. Shared by `axtrain run`, sweeps and experiments.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "axtrain/data/dataset.h"
#include "axtrain/run/run_config.h"

namespace ax::run {

struct RunOptions {
  std::string out_root;   // overrides output.dir when non-empty
  std::string device;     // overrides config device when non-empty
  std::int64_t threads = -1;  // overrides config threads when >= 0 (0 = all cores)
  bool quiet = false;
  bool resume = false;    // continue from last.pt; a complete run is not repeated
  bool force = false;     // train again even when the run directory holds a complete run
};

struct RunResult {
  std::string run_dir;
  nlohmann::json metrics;
  bool skipped = false;   // resume found the run already complete
};

std::string run_dir_of(const RunConfig& cfg, const RunOptions& opt);
// The provenance part of metrics.json shared by runs and evaluations: schema_version, name,
// config, git_revision, axtrain_version, seed, device, torch_version, host, dataset, model, started.
nlohmann::json metrics_header(const RunConfig& cfg, const data::Dataset& data,
                              torch::nn::Module& model, std::int64_t threads);
// Sets LibTorch's intra-op threads (0 = all cores); returns the number set.
std::int64_t configure_threads(std::int64_t threads);
torch::Device resolve_device(const std::string& name);
// Takes an exclusive lock on the run directory (a second process on it is a UsageError naming the
// holder's PID) and removes temporary files of interrupted writes. A complete run is skipped with
// `resume`, trained again with `force`, and otherwise refused (UsageError: "already complete").
// Training that diverges marks metrics.json `status: diverged`, keeps the last checkpoint and
// rethrows the DivergedError.
RunResult run_training(const RunConfig& cfg, const RunOptions& opt);

}  // namespace ax::run
