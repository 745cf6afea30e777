// Observers that turn trainer events into files and terminal output.
#pragma once
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "axtrain/train/trainer.h"

namespace ax::report {

// metrics.json (schema in docs/metrics.md), rewritten atomically after every epoch and at the end.
class MetricsWriter final : public train::Observer {
 public:
  MetricsWriter(std::string path, nlohmann::json header);
  void on_epoch(const train::EpochRecord& r, train::Trainer& t) override;
  void on_end(train::Trainer& t) override;
  // Training diverged: status "diverged" with the message (the epochs before it stay).
  void diverged(train::Trainer& t, const std::string& message);
  const nlohmann::json& metrics() const { return doc_; }

 private:
  void update(train::Trainer& t, const std::string& status);
  std::string path_;
  nlohmann::json doc_;
  std::chrono::steady_clock::time_point start_;
  double wall_before_ = 0.0;  // wall seconds of earlier (interrupted) sessions
};

// Checkpoints: <dir>/last.pt every N epochs, <dir>/final.pt at the end (atomic writes).
class CheckpointWriter final : public train::Observer {
 public:
  CheckpointWriter(std::string dir, std::int64_t every);
  void on_epoch(const train::EpochRecord& r, train::Trainer& t) override;
  void on_end(train::Trainer& t) override;

 private:
  std::string dir_;
  std::int64_t every_;
};

// Progress on stderr (a live line on a terminal, plain lines otherwise) and a copy in log.txt.
class Progress final : public train::Observer {
 public:
  Progress(bool quiet, const std::string& log_path);
  void on_phase(const train::PhaseSpec& p, std::int64_t epoch) override;
  void on_batch(const train::BatchEvent& e) override;
  void on_epoch(const train::EpochRecord& r, train::Trainer& t) override;
  void line(const std::string& text);  // to stderr (unless quiet) and the log

 private:
  bool quiet_, tty_;
  std::ofstream log_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// calibration.jsonl: one JSON line per error-model calibration (per-layer coefficients, mean,
// variance, binned error profile — the data of Li et al. Fig. 2). On resume, lines after the
// checkpoint's epoch are dropped first so the file matches an uninterrupted run.
class CalibrationLog final : public train::Observer {
 public:
  CalibrationLog(std::string path, std::int64_t keep_through_epoch);
  void on_calibration(const train::CalibrationEvent& e) override;

 private:
  std::string path_;
};

std::string format_duration(double seconds);

}  // namespace ax::report
