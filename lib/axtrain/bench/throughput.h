// Training and inference throughput of models on synthetic data (benchmarks, not tests).
//
// Every case is prepared once (model, hardware, optimizer, one synthetic batch), then the cases
// are timed in interleaved repetitions (rep 1 of every case, rep 2 of every case, ...), so slow
// drifts of a shared machine touch all cases alike; the figures are medians over repetitions.
// Ratios to float are taken within one run: the exact (or proxy) case of a model against that
// model's ideal case.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"

namespace ax::bench {

struct BenchCase {
  std::string label;     // model name
  std::string hardware;  // hardware label ("ideal" for float)
  models::ModelSpec model;
  std::vector<std::int64_t> input_shape;
  std::int64_t classes = 10;
  hw::HardwareSpec hardware_spec = hw::HardwareSpec::ideal();
  hw::Mode mode = hw::Mode::Ideal;
};

struct BenchResult {
  std::string label, hardware, mode;
  double macs_per_image = 0;            // multiply-accumulates of the MAC layers per image
  double train_step_ms = 0, forward_ms = 0;  // medians over repetitions
  double train_images_per_s = 0, forward_images_per_s = 0;
  double forward_gmacs = 0;             // macs_per_image · forward images/s / 1e9
  std::vector<double> train_ms_reps, forward_ms_reps;
  // Against the same model's ideal (float) case of the same run; 0 when there is none.
  double train_ratio = 0, forward_ratio = 0;
  nlohmann::json to_json() const;
};

struct BenchSettings {
  std::int64_t batch = 64, batches = 5, warmup = 2, repetitions = 5;
};

// Times every case (batches timed steps per repetition after warmup untimed ones) and fills in
// the ratios to the ideal case of each model.
std::vector<BenchResult> run_benches(const std::vector<BenchCase>& cases, const BenchSettings& s);
// A ModelSpec of a registered type with its default options.
models::ModelSpec default_model(const std::string& type);

}  // namespace ax::bench
