// A trained model ready to evaluate: the trainer's options, the hardware it runs on, its data,
// the model with the hardware attached and its weights loaded; the model in eval mode, its MAC
// layers in options.eval.mode. Built by run::load_trained; used by `eval`, `sensitivity`,
// `approxann`, `inject-check` and `power` (eval/).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "axtrain/data/dataset.h"
#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"
#include "axtrain/train/spec.h"

namespace ax::train {

struct TrainedModel {
  TrainerOptions options;
  hw::HardwareSpec hardware;
  std::unique_ptr<data::Dataset> data;
  std::shared_ptr<models::Model> model;
  torch::Device device{torch::kCPU};
  std::int64_t threads = 0;
  std::string checkpoint;  // absolute
};

}  // namespace ax::train
