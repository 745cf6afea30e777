// What the trainer tells its observers. The trainer writes no files; observers (progress line,
// metrics.json, checkpoints, log) do.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ax::train {

struct SplitMetrics {
  double loss = 0.0;
  double accuracy = 0.0;  // fraction in [0, 1]
  std::int64_t examples = 0;
  // Over eval repeats (independent fault draws); equal to loss/accuracy when repeats == 1.
  std::int64_t repeats = 1;
  double accuracy_std = 0.0, accuracy_min = 0.0, accuracy_max = 0.0;
  double loss_std = 0.0, loss_min = 0.0, loss_max = 0.0;
  // Output deviation (eval/output_deviation.h): per sample ‖O_hw − O_float‖ / ‖O_float‖ of the
  // model's outputs, the same weights in the eval mode vs in ideal mode, averaged over the test set
  // (and over the repeats; std over them when repeats > 1). Unset when there is nothing to compare:
  // the eval mode is ideal or the hardware is ideal everywhere. skipped: samples whose float output
  // is all zero (no ratio), summed over the repeats.
  std::optional<double> output_deviation;
  double output_deviation_std = 0.0;
  std::int64_t output_deviation_skipped = 0;
  nlohmann::json to_json() const;
  static SplitMetrics from_json(const nlohmann::json& j);
};

struct Seconds {
  // calibration: accurate-model work of error-injection calibrations (the whole step of a
  // calibration batch, or the extra calibration forward); not included in forward/backward.
  double data = 0, forward = 0, backward = 0, eval = 0, total = 0, calibration = 0;
  nlohmann::json to_json() const;
};

struct EpochRecord {
  std::int64_t epoch = 0;            // 1-based
  std::string phase;                 // phase active at the end of the epoch
  std::vector<std::string> phases;   // every phase that ran batches in this epoch
  std::int64_t batches = 0;
  double lr = 0.0;                   // learning rate of the last batch
  SplitMetrics train;
  bool has_test = false;
  SplitMetrics test;
  Seconds seconds;
  double images_per_s = 0.0;         // training images / (data + forward + backward seconds)
  nlohmann::json extra = nlohmann::json::object();  // e.g. per-layer hardware statistics
  nlohmann::json to_json() const;
};

struct PhaseRecord {
  std::string name;
  std::string mode;
  double epochs = 0.0;
  std::int64_t batches = 0;
  double seconds = 0.0;              // training time spent in this phase (eval excluded)
  nlohmann::json to_json() const;
};

// One calibration of the error models (error-injection phases).
struct CalibrationEvent {
  std::int64_t epoch = 0, global_batch = 0;
  std::string phase;
  double seconds = 0.0;
  nlohmann::json layers;  // layer name → the error model's record (coefficients, binned profile)
};

struct BatchEvent {
  std::int64_t epoch = 0;      // 1-based
  std::int64_t batch = 0;      // index within the epoch, 0-based
  std::int64_t batches_in_epoch = 0;
  std::int64_t global_batch = 0, total_batches = 0;
  const std::string* phase = nullptr;
  double loss = 0.0, accuracy = 0.0;  // running means over the epoch so far
  double images_per_s = 0.0;
  double elapsed_s = 0.0;             // since the run (or resume) started
};

}  // namespace ax::train
