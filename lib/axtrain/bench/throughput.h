// Training and inference throughput of a model on synthetic data (benchmarks, not tests).
#pragma once
#include <string>
#include <vector>

#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"

namespace ax::bench {

struct BenchCase {
  std::string label;
  models::ModelSpec model;
  std::vector<std::int64_t> input_shape;
  std::int64_t classes = 10;
  hw::HardwareSpec hardware = hw::HardwareSpec::ideal();
  hw::Mode mode = hw::Mode::Ideal;
};

struct BenchResult {
  std::string label;
  double train_images_per_s = 0;    // forward + backward + SGD step
  double forward_images_per_s = 0;  // inference (no grad, eval mode)
  double train_step_ms = 0, forward_ms = 0;
};

// Times `batches` steps at batch size `batch` after `warmup` untimed steps.
BenchResult run_bench(const BenchCase& c, std::int64_t batch, std::int64_t batches, std::int64_t warmup);
// A ModelSpec of a registered type with its default options.
models::ModelSpec default_model(const std::string& type);

}  // namespace ax::bench
