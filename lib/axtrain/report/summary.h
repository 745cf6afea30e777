// Run summaries: one row per metrics.json (training run or evaluation), as a Markdown or CSV table
// — the figures docs/results.md and docs/performance.md record, read from the runs themselves.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ax::report {

struct RunSummary {
  std::string path;        // the metrics.json
  std::string name, run_id, kind;  // kind: "train" or "eval"
  std::string hardware;    // hardware type (eval: the evaluated hardware)
  std::string phases;      // e.g. "inject:inject×3 + finetune:exact×1"
  double epochs = 0;       // configured epochs (eval: 0)
  double test_accuracy = 0, test_accuracy_std = 0, test_loss = 0;
  // final.test.output_deviation (train/events.h); NaN when the run has none (ideal hardware or mode)
  double output_deviation = std::numeric_limits<double>::quiet_NaN();
  std::int64_t repeats = 1;
  // Means over the epochs of: training seconds (data + forward + backward + calibration), the
  // calibration part alone, and evaluation seconds; images/s of the training batches.
  double train_s_per_epoch = 0, calibration_s_per_epoch = 0, eval_s = 0, images_per_s = 0;
  double wall_s = 0;
  std::int64_t peak_rss_bytes = 0;
};

RunSummary summarize(const nlohmann::json& metrics, const std::string& path);
// The metrics.json files named, or found below the directories named (sorted). DataError for a
// path that does not exist or a file that is not metrics JSON.
std::vector<RunSummary> collect_runs(const std::vector<std::string>& paths);
std::string format_markdown(const std::vector<RunSummary>& runs);
std::string format_csv(const std::vector<RunSummary>& runs);

}  // namespace ax::report
