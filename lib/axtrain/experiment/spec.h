// ExperimentSpec: experiments/<id>/experiment.yaml, typed (format: experiments/README.md). A named
// experiment is data: cells (a config plus overrides, or an evaluation / ApproxANN search of
// another cell's network), the paper's number per cell, tolerances, seeds and scales. `for:`
// blocks are expanded here, so everything below sees plain cells.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axtrain/experiment/claims.h"

namespace ax::experiment {

enum class Scale { Smoke, Reduced, Cpu, Full };
const char* scale_name(Scale s);
Scale parse_scale(const std::string& s);  // UsageError listing the scales

enum class Metric {
  TestAccuracy, TestAccuracyStd, TestLoss, TrainSecondsPerEpoch, CalibrationSecondsPerEpoch, PeakRssBytes,
  WallSeconds, RelativeComputePower, RelativeStoragePower, ApproxMultiplierFraction, OutputDeviation
};
const char* metric_name(Metric m);

struct DataNeed {
  std::string name, path, prepare;  // path with ${VAR} expanded
  bool present() const;
};

// Cells whose recipe a scale changes differently, e.g. the analog runs that keep the paper's 10
// epochs from INT8 while the from-scratch runs are shortened.
struct ScaleCells {
  std::string match;              // cell ids, '*' = any text
  std::optional<double> epochs;   // replaces the scale's factor for these cells
  std::vector<std::string> set;   // further --set overrides, after the scale's
};

struct ScaleSpec {
  double epochs = 1.0;            // factor on every phase's epochs
  std::vector<std::string> set;   // --set overrides of every training run
  std::string note;
  std::vector<ScaleCells> cells;  // the first that matches a cell applies
  const ScaleCells* for_cell(const std::string& id) const;
};

// '*' matches any text (also '/'); everything else itself.
bool glob_match(const std::string& pattern, const std::string& s);

struct EvalSpec {
  std::string hardware, mode;  // "" = the run's own
  std::int64_t repeats = 0;    // 0 = the run's eval.repeats
  std::vector<std::string> set;
};

struct ApproxAnnSpec {
  std::string hardware;
  double bound = 0.02, step = 0.05, retrain_epochs = 1.0;
};

struct Cell {
  std::string id, label;
  std::string config;              // training cells
  std::vector<std::string> set;
  std::string checkpoint_of;       // evaluation-only cells: the cell whose network is evaluated
  std::string init_of;             // training cells starting from that cell's final.pt
  std::optional<EvalSpec> eval;
  std::optional<ApproxAnnSpec> approxann;
  Metric metric = Metric::TestAccuracy;
  std::string normalise_by;
  std::optional<double> paper;
  std::optional<double> x;  // position on a numeric x axis (sweeps: the swept value)
  std::string series;       // the line it belongs to on that axis
  std::int64_t ranks = 1;   // data-parallel ranks of its training (--nproc locally, one srun step on Slurm)
  bool trains() const { return !config.empty(); }
};

struct Summary {
  enum class Op { Mean, MeanRatio, OneMinusMeanRatio, MeanRatioMinusOne };
  std::string id, label;
  Op op = Op::Mean;
  std::string cells, over;  // id patterns with at most one '*'
  std::optional<double> paper;
};

struct ExperimentSpec {
  std::string id, title, source, file;
  std::vector<DataNeed> data;
  Metric metric = Metric::TestAccuracy;
  double tolerance = 0.02;
  std::int64_t seeds = 1;
  std::map<Scale, ScaleSpec> scales;
  std::string plot;  // "", bars, curves, sweep, error_profile
  std::string xlabel;  // the x axis of a sweep plot (the swept quantity)
  std::vector<Cell> cells;
  std::vector<Summary> summaries;
  std::vector<Claim> claims;  // the paper's relations between rows, judged by report (claims.h)

  const Cell& cell(const std::string& id) const;  // UsageError naming the experiment
  const ScaleSpec& scale(Scale s) const;          // ConfigError when the file lacks it
};

ExperimentSpec load_experiment(const std::string& file);
// The experiments under `root` (experiments/<id>/experiment.yaml), sorted by id.
std::vector<std::string> experiment_files(const std::string& root);

}  // namespace ax::experiment
