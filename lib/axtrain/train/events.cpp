#include "axtrain/train/events.h"

namespace ax::train {

nlohmann::json SplitMetrics::to_json() const {
  nlohmann::json j{{"loss", loss}, {"accuracy", accuracy}, {"examples", examples}};
  if (repeats > 1) {
    j["repeats"] = repeats;
    j["accuracy_std"] = accuracy_std;
    j["accuracy_min"] = accuracy_min;
    j["accuracy_max"] = accuracy_max;
    j["loss_std"] = loss_std;
    j["loss_min"] = loss_min;
    j["loss_max"] = loss_max;
  }
  if (output_deviation) {
    j["output_deviation"] = *output_deviation;
    if (repeats > 1) j["output_deviation_std"] = output_deviation_std;
    if (output_deviation_skipped > 0) j["output_deviation_skipped"] = output_deviation_skipped;
  }
  return j;
}

SplitMetrics SplitMetrics::from_json(const nlohmann::json& j) {
  SplitMetrics m;
  m.loss = j.value("loss", 0.0);
  m.accuracy = j.value("accuracy", 0.0);
  m.examples = j.value("examples", std::int64_t{0});
  m.repeats = j.value("repeats", std::int64_t{1});
  m.accuracy_std = j.value("accuracy_std", 0.0);
  m.accuracy_min = j.value("accuracy_min", m.accuracy);
  m.accuracy_max = j.value("accuracy_max", m.accuracy);
  m.loss_std = j.value("loss_std", 0.0);
  m.loss_min = j.value("loss_min", m.loss);
  m.loss_max = j.value("loss_max", m.loss);
  if (j.contains("output_deviation") && j["output_deviation"].is_number()) m.output_deviation = j["output_deviation"].get<double>();
  m.output_deviation_std = j.value("output_deviation_std", 0.0);
  m.output_deviation_skipped = j.value("output_deviation_skipped", std::int64_t{0});
  return m;
}

nlohmann::json Seconds::to_json() const {
  return {{"data", data}, {"forward", forward}, {"backward", backward}, {"eval", eval}, {"total", total}, {"calibration", calibration}};
}

nlohmann::json EpochRecord::to_json() const {
  nlohmann::json j{{"epoch", epoch},        {"phase", phase},         {"phases", phases},
                   {"batches", batches},    {"lr", lr},               {"train", train.to_json()},
                   {"seconds", seconds.to_json()}, {"images_per_s", images_per_s}};
  if (has_test) j["test"] = test.to_json();
  if (!extra.empty()) j["extra"] = extra;
  return j;
}

nlohmann::json PhaseRecord::to_json() const {
  return {{"name", name}, {"mode", mode}, {"epochs", epochs}, {"batches", batches}, {"seconds", seconds}};
}

}  // namespace ax::train
