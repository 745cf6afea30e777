// RunConfig: a whole run, typed. YAML → RunConfig happens once, in load_run_config(); everything
// below works on these structs. to_yaml() writes the resolved config (defaults filled in) and
// round-trips through load.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "axtrain/data/spec.h"
#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"
#include "axtrain/train/optim.h"

namespace ax::config {

struct LossSpec {
  enum class Kind { CrossEntropy, Mse } kind = Kind::CrossEntropy;
  double label_smoothing = 0.0;  // cross_entropy only, in [0, 1)
};

// When an inject phase recalibrates its error models (PAPERS.md §7.6–7.7). 0/0 = the default of
// the error model kind: polynomial 5 per epoch, Gaussian every 10 batches.
struct CalibrateSpec {
  std::int64_t per_epoch = 0;      // calibrations per epoch, equally spaced
  std::int64_t every_batches = 0;  // or: one calibration every K batches
  double fraction = 1.0;           // 1: the calibration batch is an accurate-model training step;
                                   // < 1: an extra forward on this fraction of the batch, then an inject step
};

// Error-model options of the run (one error model per approximate layer).
struct InjectSpec {
  bool kind_auto = true;  // auto: the hardware's own (type 1 polynomial; analog: type 2 Gaussian)
  inject::ErrorModelOptions model;
};

// AxTrain-act's sensitivity regulariser in a phase (train/sensitivity.h): loss + γ·S(w).
struct SensitivitySpec {
  double gamma = 1e-3;        // initial γ
  double delta_gamma = 1e-4;  // Δγ of the adaptive rule (per epoch)
  double bound = 0.0;         // training error below which γ always grows (D)
  bool adaptive = true;       // false: γ fixed
  std::int64_t outputs = 0;   // outputs k in S (0 = all; fewer bounds the cost: an approximation)
};

struct PhaseSpec {
  std::string name = "train";
  double epochs = 1.0;  // fractional allowed (e.g. 0.25)
  hw::Mode mode = hw::Mode::Exact;
  std::optional<train::OptimizerSpec> optimizer;  // a fresh optimizer for this phase
  std::optional<train::ScheduleSpec> schedule;    // a schedule over this phase
  CalibrateSpec calibrate;                        // inject phases only
  hw::ExactGradient gradient = hw::ExactGradient::Proxy;  // exact phases only
  std::optional<SensitivitySpec> sensitivity;             // ideal phases only
};

struct EvalSpec {
  std::int64_t every = 1;         // evaluate every N epochs (and always after the last)
  hw::Mode mode = hw::Mode::Exact;  // how the MAC layers run during evaluation
  std::int64_t repeats = 1;       // independent evaluations (fault draws) per evaluation point
};

struct OutputSpec {
  std::string dir = "results";        // results root; the run directory is <dir>/<name>/<run_id>
  std::int64_t checkpoint_every = 1;  // epochs between checkpoints (0 = only at the end)
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
  LossSpec loss;
  hw::HardwareSpec hardware;
  std::vector<PhaseSpec> phases;
  train::OptimizerSpec optimizer;
  train::ScheduleSpec schedule;
  InjectSpec inject;
  InitSpec init;
  EvalSpec eval;
  OutputSpec output;

  double total_epochs() const;
  YAML::Node to_yaml() const;
  // Short hash of the resolved config without output, device and threads.
  std::string run_id() const;
};

// Loads and validates a run config; `overrides` are --set assignments.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Parses an already loaded document (used by experiment plans and tests).
RunConfig parse_run_config(const YAML::Node& doc, const std::string& file);
std::string to_yaml_string(const YAML::Node& n);
hw::Mode parse_mode(Section& s, const std::string& key, hw::Mode fallback);

}  // namespace ax::config
