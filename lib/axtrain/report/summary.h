// The one typed reader of metrics.json (docs/metrics.md): RunSummary holds what the rest of the code
// reads back from a run or evaluation (status, final test figures, timing, power, ...), so no other
// file looks metrics up by key strings. Also the `axtrain report` tables (Markdown or CSV) — the
// figures docs/results.md and docs/performance.md record, read from the runs themselves.
#pragma once
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ax::report {

struct RunSummary {
  std::string path;        // the metrics.json
  std::string name, run_id, kind;  // kind: "train" or "eval"
  std::string status;      // complete | running | diverged
  std::string started;     // ISO 8601, when the run (first) started
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
  // power.relative_compute / relative_storage (eval/power.h); NaN when the hardware is not priced
  double relative_compute_power = std::numeric_limits<double>::quiet_NaN();
  double relative_storage_power = std::numeric_limits<double>::quiet_NaN();
  // eval.output_deviation_computed: the evaluation was written by a version that computes the
  // output deviation (older ones are run again by `eval --resume`)
  bool output_deviation_computed = false;
  // (epoch, test accuracy) of every evaluated epoch, in order
  std::vector<std::pair<double, double>> test_curve;

  bool complete() const { return status == "complete"; }
};

RunSummary summarize(const nlohmann::json& metrics, const std::string& path);
// The summary of the metrics.json at path; nullopt when the file is missing or not a JSON object
// (e.g. cut short).
std::optional<RunSummary> read_summary(const std::string& path);
// The metrics.json files named, or found below the directories named (sorted). DataError for a
// path that does not exist or a file that is not metrics JSON.
std::vector<RunSummary> collect_runs(const std::vector<std::string>& paths);
std::string format_markdown(const std::vector<RunSummary>& runs);
std::string format_csv(const std::vector<RunSummary>& runs);

}  // namespace ax::report
