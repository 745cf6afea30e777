// Optimizers (registry: sgd, adam; more plug in with one line) and learning-rate schedules
// (registry: constant, step, exponential, cosine, poly; all with linear warm-up).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/core/random.h"
#include "axtrain/core/registry.h"

namespace ax::config {
class Section;
template <class T>
class Options;
}

namespace ax::train {

// An optimizer whose step draws random numbers (SC-GDM's stochastic counter steps): before each
// step the trainer passes it that step's stream (key from the run seed, counter from the step).
struct KeyedDraws {
  virtual ~KeyedDraws() = default;
  virtual void set_draws(const rng::Stream& draws) = 0;
  // Data parallelism: this rank's examples are rows [first, first + local) of a global batch of
  // `global` rows (one process: 0, n, n). Per-sample draws are keyed by the global row.
  virtual void set_shard(std::int64_t /*first*/, std::int64_t /*local*/, std::int64_t /*global*/) {}
};

struct OptimizerOptions {
  virtual ~OptimizerOptions() = default;
  virtual std::string type() const = 0;
  virtual void dump(YAML::Node& out) const = 0;
  virtual std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> params,
                                                        double lr) const = 0;
  // Called by the trainer right after make() with the model whose parameters it got, for
  // optimizers that need the layers themselves (sc_gdm's per-sample steps tap every Linear layer).
  virtual void attach(torch::optim::Optimizer& /*opt*/, torch::nn::Module& /*model*/) const {}
};

// Weight clamp applied after optimizer steps (rex-sc clamps to [-1, 0.999] after every epoch).
struct WeightClamp {
  bool enabled = false;
  double min = -1.0, max = 0.999;
  enum class Every { Step, Epoch } every = Every::Epoch;
};

struct OptimizerSpec {
  std::string type = "sgd";
  std::shared_ptr<const OptimizerOptions> options;
  double lr = 0.01;
  WeightClamp clamp;

  // The common keys; `type` brings the optimizer type's own (optimizer_registry().keys(type)).
  static const config::Options<OptimizerSpec>& declaration();
  static OptimizerSpec parse(config::Section& s);
  YAML::Node dump() const;
};

struct ScheduleOptions {
  virtual ~ScheduleOptions() = default;
  virtual std::string type() const = 0;
  virtual void dump(YAML::Node& out) const = 0;
  // Learning-rate multiplier after `t` of `total` epochs (both after warm-up is removed).
  virtual double factor(double t, double total, double base_lr) const = 0;
};

struct ScheduleSpec {
  std::string type = "constant";
  std::shared_ptr<const ScheduleOptions> options;
  double warmup_epochs = 0.0;  // linear warm-up from 0 over this many epochs

  // The common keys; `type` brings the schedule type's own (schedule_registry().keys(type)).
  static const config::Options<ScheduleSpec>& declaration();
  static ScheduleSpec parse(config::Section& s);
  static ScheduleSpec constant();
  YAML::Node dump() const;
  // Learning rate at epoch position t (fractional) of a segment lasting `total` epochs.
  double lr(double base_lr, double t, double total) const;
};

using OptimizerParser = std::function<std::shared_ptr<const OptimizerOptions>(config::Section&)>;
using ScheduleParser = std::function<std::shared_ptr<const ScheduleOptions>(config::Section&)>;
Registry<OptimizerParser>& optimizer_registry();
Registry<ScheduleParser>& schedule_registry();
void register_all();

// Sets the learning rate of every parameter group.
void set_lr(torch::optim::Optimizer& opt, double lr);

}  // namespace ax::train
