#include "axtrain/report/run_observers.h"

#include <unistd.h>

#include <fmt/format.h>

#include "axtrain/core/files.h"
#include "axtrain/core/host.h"

namespace ax::report {

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  auto t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

MetricsWriter::MetricsWriter(std::string path, nlohmann::json header)
    : path_(std::move(path)), doc_(std::move(header)), start_(std::chrono::steady_clock::now()) {
  wall_before_ = doc_.value("wall_seconds", 0.0);
}

void MetricsWriter::update(train::Trainer& t, const std::string& status) {
  doc_["epochs"] = nlohmann::json::array();
  for (const auto& r : t.history()) doc_["epochs"].push_back(r.to_json());
  doc_["phases"] = nlohmann::json::array();
  for (const auto& p : t.phase_records()) doc_["phases"].push_back(p.to_json());
  doc_["epochs_done"] = t.epochs_done();
  doc_["epochs_total"] = t.epochs_total();
  doc_["status"] = status;
  if (!t.history().empty()) {
    // final.test: the last evaluated epoch's test metrics.
    for (auto it = t.history().rbegin(); it != t.history().rend(); ++it) {
      if (it->has_test) {
        doc_["final"]["test"] = it->test.to_json();
        doc_["final"]["epoch"] = it->epoch;
        break;
      }
    }
    doc_["final"]["train"] = t.history().back().train.to_json();
  }
  doc_["peak_rss_bytes"] = peak_rss_bytes();
  doc_["wall_seconds"] =
      wall_before_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  doc_["updated"] = utc_now();
  write_file_atomic(path_, doc_.dump(2) + "\n");
}

void MetricsWriter::on_epoch(const train::EpochRecord&, train::Trainer& t) { update(t, "running"); }
void MetricsWriter::on_end(train::Trainer& t) { update(t, "complete"); }
void MetricsWriter::diverged(train::Trainer& t, const std::string& message) {
  doc_["diverged"] = message;
  update(t, "diverged");
}

CheckpointWriter::CheckpointWriter(std::string dir, std::int64_t every)
    : dir_(std::move(dir)), every_(every) {}

void CheckpointWriter::on_epoch(const train::EpochRecord& r, train::Trainer& t) {
  if (every_ > 0 && r.epoch % every_ == 0 && r.epoch < t.epochs_total()) {
    t.save(dir_ + "/last.pt");  // atomic and durable (train/checkpoint.h)
  }
}

void CheckpointWriter::on_end(train::Trainer& t) {
  t.save(dir_ + "/final.pt");
  t.save(dir_ + "/last.pt");
}

Progress::Progress(bool quiet, const std::string& log_path)
    : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {
  if (!log_path.empty()) log_.open(log_path, std::ios::app);
}

void Progress::line(const std::string& text) {
  if (!quiet_) {
    if (tty_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  if (log_) log_ << text << '\n' << std::flush;
}

void Progress::on_phase(const train::PhaseSpec& p, std::int64_t epoch) {
  line(fmt::format("phase {} (mode {}, {} epochs) starts in epoch {}", p.name, hw::mode_name(p.mode),
                   p.epochs, epoch));
}

void Progress::on_batch(const train::BatchEvent& e) {
  if (quiet_ || !tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (e.batch + 1 < e.batches_in_epoch && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  double done = static_cast<double>(e.global_batch + 1);
  double eta = e.elapsed_s / done * static_cast<double>(e.total_batches - e.global_batch - 1);
  std::fprintf(stderr, "\r\033[Kepoch %lld [%s] %lld/%lld loss %.4f acc %.4f %.0f img/s ETA %s",
               static_cast<long long>(e.epoch), e.phase->c_str(), static_cast<long long>(e.batch + 1),
               static_cast<long long>(e.batches_in_epoch), e.loss, e.accuracy, e.images_per_s,
               format_duration(eta).c_str());
  std::fflush(stderr);
}

void Progress::on_epoch(const train::EpochRecord& r, train::Trainer& t) {
  std::string test = r.has_test ? fmt::format(" | test loss {:.4f} acc {:.4f}", r.test.loss, r.test.accuracy) : "";
  if (r.has_test && r.test.repeats > 1) test += fmt::format(" (±{:.4f} over {})", r.test.accuracy_std, r.test.repeats);
  double remaining = r.seconds.total * static_cast<double>(t.epochs_total() - r.epoch);
  line(fmt::format("epoch {}/{} [{}] train loss {:.4f} acc {:.4f}{} | {:.0f} img/s, {:.1f}s, ETA {}", r.epoch,
                   t.epochs_total(), r.phase, r.train.loss, r.train.accuracy, test, r.images_per_s,
                   r.seconds.total, format_duration(remaining)));
}

}  // namespace ax::report

namespace ax::report {

CalibrationLog::CalibrationLog(std::string path, std::int64_t keep_through_epoch) : path_(std::move(path)) {
  if (!file_exists(path_)) return;
  std::ifstream in(path_);
  std::string line, kept;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("epoch", std::int64_t{0}) <= keep_through_epoch) kept += line + "\n";
  }
  write_file_atomic(path_, kept);
}

void CalibrationLog::on_calibration(const train::CalibrationEvent& e) {
  nlohmann::json j{{"epoch", e.epoch}, {"batch", e.global_batch}, {"phase", e.phase}, {"seconds", e.seconds},
                   {"layers", e.layers}};
  std::ofstream out(path_, std::ios::app);
  out << j.dump() << '\n';
}

}  // namespace ax::report
