// ApproxANN-style search (Zhang et al., DATE'15, as AxTrain Sec. 5 uses it; PAPERS.md §7.12, G-46):
// per output neuron of every MAC layer, a choice between the hardware's (approximate) multiplier
// and the accurate one (MacLayer approx masks). Neurons are ranked by criticality
// c_j = Σ_examples |∂E/∂y_j| over training examples (y_j the neuron's pre-activation, E the
// training loss, all multipliers accurate); the least critical are switched to the approximate
// multiplier greedily, a step of `step` · (all neurons) at a time. A step whose test accuracy drops
// more than `bound` below the all-accurate network's is retrained briefly (`retrain_epochs` on the
// training set, exact mode with the masks, the run's last optimizer, AxTrain's clipped STE);
// still beyond the bound, it is undone (weights restored) and retried with half the step, down to
// one neuron; then the search stops. Reports how many multipliers (products per inference) run on
// the approximate one, per layer, and the relative power of the result.
#pragma once
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axtrain/eval/power.h"
#include "axtrain/train/trained_model.h"

namespace ax::eval {

struct ApproxAnnOptions {
  double bound = 0.02;                  // largest accuracy loss (absolute, a fraction of 1)
  double step = 0.05;                   // neurons switched per step, fraction of all neurons
  double retrain_epochs = 1.0;          // brief retraining of a step beyond the bound (0 = none)
  std::int64_t criticality_examples = 10000;  // training examples for the criticality ranking
};

struct ApproxAnnStep {
  std::int64_t approx_neurons = 0;  // after the step (accepted or not)
  double accuracy = 0;              // before retraining
  double retrained_accuracy = -1;   // after retraining (-1: not retrained)
  bool accepted = false;
};

struct ApproxAnnResult {
  double accurate_accuracy = 0;    // all multipliers accurate (the reference of the bound)
  double approximate_accuracy = 0; // all on the hardware (the static configuration)
  double final_accuracy = 0;
  std::int64_t neurons = 0, approx_neurons = 0;
  double multipliers = 0, approx_multipliers = 0;  // products per inference
  std::vector<LayerWork> layers;                   // with the final masks' fractions
  std::vector<ApproxAnnStep> steps;
  nlohmann::json masks;  // layer name → [0/1 per output neuron]
  nlohmann::json to_json() const;
};

// Runs the search on t (its hardware must have an approximate multiplier); leaves the masks and
// the retrained weights in t.model. `log` gets one line per step (may be empty).
// What approxann.json (written by `axtrain approxann`) holds for the experiment tables; nullopt
// when the file is missing or not JSON. Powers are NaN when the file has none.
struct ApproxAnnSummary {
  double final_accuracy = 0, approx_multiplier_fraction = 0;
  double relative_compute_power = std::numeric_limits<double>::quiet_NaN();
  double relative_storage_power = std::numeric_limits<double>::quiet_NaN();
};
std::optional<ApproxAnnSummary> read_approxann_summary(const std::string& path);

ApproxAnnResult approxann_search(train::TrainedModel& t, const ApproxAnnOptions& o,
                                 const std::function<void(const std::string&)>& log = {});

}  // namespace ax::eval
