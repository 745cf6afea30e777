// Trainer: the epoch/batch loop over the run's phases. It emits events to observers and never
// writes files. Phases may have fractional epochs: phase k ends at batch
// round(cumulative_epochs_k · batches_per_epoch). A phase with its own optimizer or schedule
// starts a new optimizer "segment" (fresh optimizer state, schedule measured from its start).
//
// Determinism: the data order of epoch e comes from seed(run seed, e). Every hardware draw (noise,
// flips, random phases) and SC-GDM's steps come from counter-based streams keyed by (run seed,
// layer) and counted by the step (core/random.h): training step g, or evaluation pass and batch;
// the trainer sets the step before every forward (layers::set_step); the sensitivity term's output
// sample draws from the same generator. torch's own generator (dropout, if a model has it) and
// augmentation's are re-seeded from (run seed, g) per batch.
// So results are reproducible, independent of threads and evaluation order, and a resumed run
// continues exactly where it stopped.
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "axtrain/data/dataset.h"
#include "axtrain/models/model.h"
#include "axtrain/train/events.h"
#include "axtrain/train/sensitivity.h"
#include "axtrain/train/spec.h"

namespace ax::train {

class Trainer;

// Runs training batches 0, 1, … (no augmentation, no gradients; BatchNorm in eval mode, the
// hardware in training mode and `mode`) until no MAC layer has calibration batches left
// (LayerHardware::calibration_batches_left) or the training set ends. Returns the batches run.
std::int64_t calibrate_hardware(models::Model& model, data::Dataset& data, hw::Mode mode, torch::Device device,
                                std::int64_t batch_size);

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_phase(const train::PhaseSpec& phase, std::int64_t epoch) {}
  virtual void on_batch(const BatchEvent& e) {}
  virtual void on_calibration(const CalibrationEvent& e) {}
  virtual void on_epoch(const EpochRecord& r, Trainer& t) {}
  virtual void on_end(Trainer& t) {}
};

class Trainer {
 public:
  Trainer(TrainerOptions options, data::Dataset& data, std::shared_ptr<models::Model> model,
          torch::Device device);
  // Segments point into the trainer's own options.
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void add_observer(Observer* o) { observers_.push_back(o); }
  // Runs the remaining epochs (all of them, or those after a resumed checkpoint).
  void run();
  // Evaluation of the test split with the configured eval mode and repeats. Hardware whose
  // calibration is unfinished (static input scales, analog full scales) is calibrated first on
  // training batches (calibrate_hardware), as a chip is before deployment.
  SplitMetrics evaluate(std::uint64_t salt);

  // Checkpoint state: model, optimizer, progress and history.
  void save(const std::string& file);
  void load(const std::string& file);

  std::int64_t epochs_total() const { return epochs_total_; }
  std::int64_t epochs_done() const { return epochs_done_; }
  std::int64_t batches_per_epoch() const { return batches_per_epoch_; }
  std::int64_t total_batches() const { return total_batches_; }
  // Index of the phase that runs global batch b.
  std::size_t phase_of(std::int64_t b) const;
  // First global batch of phase i (== total_batches for i == phases.size()).
  std::int64_t phase_start(std::size_t i) const { return phase_start_[i]; }
  const std::vector<EpochRecord>& history() const { return history_; }
  std::vector<PhaseRecord> phase_records() const;
  models::Model& model() { return *model_; }
  const TrainerOptions& options() const { return opt_; }

 private:
  using Clock = std::chrono::steady_clock;
  // A running epoch's training totals.
  struct EpochTally {
    double loss_sum = 0;
    std::int64_t correct = 0, seen = 0;
    double sensitivity_sum = 0;  // AxTrain-act: S(w) summed over the epoch's batches
    std::int64_t sensitivity_batches = 0;
  };
  // The steps of run(), in order (trainer.cpp says what each does).
  void run_epoch(std::int64_t epoch, Clock::time_point run_start);
  std::size_t enter_phase(std::int64_t g, std::int64_t epoch, EpochRecord& rec);
  double apply_schedule(std::int64_t g);
  void train_step(std::int64_t g, std::size_t ph, std::int64_t epoch, const torch::Tensor& x, const torch::Tensor& y,
                  EpochRecord& rec, EpochTally& tally);
  void finish_epoch(std::int64_t epoch, std::int64_t last, EpochRecord& rec, EpochTally tally);
  // Data parallelism (no-ops in one process): rank 0's parameters and buffers to every rank; the
  // gradients averaged over the ranks (bucketed all-reduce after backward); an epoch's totals summed.
  void broadcast_state();
  void average_gradients();
  void reduce_tally(EpochTally& tally);

  struct Segment {
    std::size_t first_phase = 0;
    std::int64_t start = 0, end = 0;  // global batches
    const train::OptimizerSpec* optimizer = nullptr;
    const train::ScheduleSpec* schedule = nullptr;
  };
  std::size_t segment_of(std::int64_t b) const;
  void start_segment(std::size_t s);
  void clamp_weights();
  torch::Tensor loss_of(const torch::Tensor& out, const torch::Tensor& y) const;
  SplitMetrics evaluate_once(std::uint64_t seed);
  std::vector<std::int64_t> epoch_order(std::int64_t epoch) const;
  void attach_error_models();
  // Whether global batch g (of phase ph) is a calibration batch of an inject phase.
  bool calibrates(std::size_t ph, std::int64_t g) const;
  void request_calibration(bool on);
  nlohmann::json collect_calibration();

  const TrainerOptions opt_;
  data::Dataset& data_;
  std::shared_ptr<models::Model> model_;
  torch::Device device_;
  std::vector<Observer*> observers_;

  std::int64_t batches_per_epoch_ = 0, total_batches_ = 0, epochs_total_ = 0, epochs_done_ = 0;
  std::int64_t rank_ = 0, world_ = 1;  // data parallelism: this process's rank, the number of ranks
  std::vector<std::int64_t> phase_start_;
  std::vector<Segment> segments_;
  std::size_t current_segment_ = static_cast<std::size_t>(-1);
  std::size_t active_phase_ = static_cast<std::size_t>(-1);  // whose mode the MAC layers are in
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<EpochRecord> history_;
  // AxTrain-act: γ of the sensitivity phase in progress (gamma_phase_ = its index).
  std::optional<GammaRule> gamma_;
  std::size_t gamma_phase_ = static_cast<std::size_t>(-1);
  std::vector<double> phase_seconds_;
  std::vector<std::int64_t> phase_batches_;
  inject::Kind error_kind_ = inject::Kind::Polynomial;  // of the first approximate layer
};

// Seeds derived from the run seed: for epoch orders, batches, evaluations.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

}  // namespace ax::train
