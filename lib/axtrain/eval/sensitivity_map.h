// Sensitivity of a trained network (AxTrain Fig. 4, PAPERS.md §7.10): per weight |w|·Σ_k|∂O_k/∂w|,
// O_k the mean of output k over a test batch (as the loss sees it: the outputs for MSE, softmax for
// cross-entropy — the same O as the AxTrain-act regulariser), averaged over the test batches.
// Used by `axtrain sensitivity`, which writes the map of one layer as CSV and PNG and prints S(w).
#pragma once
#include <string>
#include <vector>

#include <torch/types.h>

#include "axtrain/train/trained_model.h"

namespace ax::eval {

struct LayerSensitivity {
  std::string name;
  torch::Tensor map;  // the weight's shape, float64 on CPU
  double total = 0;   // Σ of map
};

struct SensitivityResult {
  std::vector<LayerSensitivity> layers;  // every MAC layer, model order
  double total = 0;                      // S(w): Σ over all layers
  std::int64_t batches = 0;
};

// Evaluates the maps on up to `max_examples` test examples (0 = all) in the layers' current mode.
SensitivityResult sensitivity_of(train::TrainedModel& t, std::int64_t max_examples = 0);
// The map as a matrix: rows = output neurons, columns = the neuron's inputs (conv: in·k·k).
void write_sensitivity_csv(const std::string& path, const LayerSensitivity& l);
// white = `max` (0: the map's largest value); a common max makes maps of several networks comparable.
void write_sensitivity_png(const std::string& path, const LayerSensitivity& l, double max = 0.0);

}  // namespace ax::eval
