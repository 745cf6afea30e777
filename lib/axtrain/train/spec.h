// What the trainer needs to know, typed: the phases, optimizer and schedule, loss, error-model and
// evaluation options, and TrainerOptions — the part of a run config (run/run_config.h) that the
// trainer reads. The run layer builds TrainerOptions from the whole config (run::trainer_options);
// the trainer never sees the data, model or output sections.
#pragma once
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "axtrain/hw/mac_op.h"
#include "axtrain/inject/error_model.h"
#include "axtrain/train/optim.h"

namespace ax::dist {
class Comm;
}

namespace ax::train {

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
  std::optional<OptimizerSpec> optimizer;  // a fresh optimizer for this phase
  std::optional<ScheduleSpec> schedule;    // a schedule over this phase
  CalibrateSpec calibrate;                 // inject phases only
  hw::ExactGradient gradient = hw::ExactGradient::Proxy;  // exact phases only
  std::optional<SensitivitySpec> sensitivity;             // ideal phases only
};

struct EvalSpec {
  std::int64_t every = 1;           // evaluate every N epochs (and always after the last)
  hw::Mode mode = hw::Mode::Exact;  // how the MAC layers run during evaluation
  std::int64_t repeats = 1;         // independent evaluations (fault draws) per evaluation point
};

// Everything the trainer reads. A value: the trainer keeps its own copy.
struct TrainerOptions {
  std::uint64_t seed = 1;            // the run seed: data order, per-batch seeds, evaluations
  std::int64_t batch_size = 128;     // training batch
  std::int64_t test_batch_size = 1000;
  bool checkpoint = true;            // recompute the added point-wise nodes in backward (PAPERS.md §7.9)
  bool ideal_hardware = false;       // the MAC layers compute in float (no hardware model)
  std::vector<PhaseSpec> phases;
  OptimizerSpec optimizer;           // of phases without their own
  ScheduleSpec schedule;
  InjectSpec inject;
  LossSpec loss;
  EvalSpec eval;
  std::string run_id;                // written into checkpoints; a resume checks it
  // Data parallelism (issue 16): the group this process trains in, null for one process. Each
  // rank trains batch_size examples of every global batch of batch_size × world size.
  std::shared_ptr<dist::Comm> comm;
  bool sync_batchnorm = false;  // BatchNorm statistics over all ranks' examples (else per rank, DDP's default)

  double total_epochs() const {
    double t = 0;
    for (const auto& p : phases) t += p.epochs;
    return t;
  }
};

}  // namespace ax::train
