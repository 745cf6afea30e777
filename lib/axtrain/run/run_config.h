// RunConfig: a whole run, typed. YAML → RunConfig happens once, in load_run_config(); everything
// below works on these structs (the trainer on the part that trainer_options() gives it).
// to_yaml() writes the resolved config (defaults filled in) and round-trips through load.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "axtrain/config/options.h"
#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/config/yaml_json.h"
#include "axtrain/data/spec.h"
#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"
#include "axtrain/train/spec.h"

namespace ax::run {

struct OutputSpec {
  std::string dir = "results";        // results root; the run directory is <dir>/<name>/<run_id>
  std::int64_t checkpoint_every = 1;  // epochs between checkpoints (0 = only at the end)
};

// Data-parallel training (issue 16): what a user sets; the world (ranks) comes from the launcher's
// environment (dist/world.h).
struct DistributedSpec {
  enum class Backend { Auto, Gloo, Nccl } backend = Backend::Auto;  // auto: gloo on CPU, nccl on CUDA
  double timeout = 300;  // seconds a collective waits for the other ranks before failing
  bool sync_batchnorm = false;  // BatchNorm statistics over all ranks (DDP's SyncBatchNorm)
};

struct InitSpec {
  std::string checkpoint;  // empty = from scratch
};

struct RunConfig {
  std::string source;  // the config file
  std::string name;
  std::uint64_t seed = 1;
  std::string device = "cpu";
  std::int64_t threads = 0;  // 0 = all cores
  bool checkpoint = true;    // recompute the added point-wise nodes in backward (PAPERS.md §7.9)
  data::DataSpec data;
  models::ModelSpec model;
  train::LossSpec loss;
  hw::HardwareSpec hardware;
  std::vector<train::PhaseSpec> phases;
  train::OptimizerSpec optimizer;
  train::ScheduleSpec schedule;
  train::InjectSpec inject;
  InitSpec init;
  train::EvalSpec eval;
  OutputSpec output;
  DistributedSpec distributed;
  std::int64_t world_size = 1;  // ranks of a data-parallel run (from the launcher, not the file)

  double total_epochs() const;
  YAML::Node to_yaml() const;
  // Short hash of the resolved config without output, device, threads and distributed, with the
  // world size when it is above 1 (a 2-rank run trains on global batches twice as large).
  std::string run_id() const;
};

// Loads and validates a run config with overrides applied (config/paths.h).
RunConfig load_run_config(const std::string& path, const std::vector<config::Override>& overrides = {});
// The same with overrides in their text form KEY.PATH=VALUE (`--set`, experiment files, tests).
// A braced list of exactly two strings is ambiguous between the two (std::vector's iterator-pair
// constructor): write std::vector<std::string>{...} there.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& assignments);
// Parses an already loaded document (used by experiment plans and tests).
RunConfig parse_run_config(const YAML::Node& doc, const std::string& file);
hw::Mode parse_mode(config::Section& s, const std::string& key, hw::Mode fallback);
// The keys of the sections declared with config::Options (loss, inject, eval, output), per section,
// in dump order: `axtrain list keys` prints them; a test checks docs/config.md against them.
std::vector<std::pair<std::string, std::vector<config::OptionRow>>> declared_keys();
// The trainer's part of the config.
train::TrainerOptions trainer_options(const RunConfig& cfg);

}  // namespace ax::run
