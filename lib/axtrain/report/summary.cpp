#include "axtrain/report/summary.h"

#include <algorithm>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace fs = boost::filesystem;

namespace ax::report {

namespace {
double num(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}
}  // namespace

RunSummary summarize(const nlohmann::json& m, const std::string& path) {
  RunSummary s;
  s.path = path;
  s.name = m.value("name", "");
  s.run_id = m.value("run_id", "");
  s.kind = m.contains("eval") ? "eval" : "train";
  s.status = m.value("status", "");
  s.started = m.contains("started") && m["started"].is_string() ? m["started"].get<std::string>() : "";
  if (m.contains("power") && m["power"].is_object()) {
    const auto& p = m["power"];
    if (p.contains("relative_compute") && p["relative_compute"].is_number()) s.relative_compute_power = p["relative_compute"].get<double>();
    if (p.contains("relative_storage") && p["relative_storage"].is_number()) s.relative_storage_power = p["relative_storage"].get<double>();
  }
  s.output_deviation_computed = m.contains("eval") && m["eval"].is_object() && m["eval"].contains("output_deviation_computed");
  const nlohmann::json cfg = m.value("config", nlohmann::json::object());
  s.hardware = cfg.contains("hardware") ? cfg["hardware"].value("type", "ideal") : "ideal";
  if (cfg.contains("phases") && s.kind == "train") {
    std::vector<std::string> parts;
    for (const auto& p : cfg["phases"]) {
      const double e = num(p, "epochs");
      s.epochs += e;
      parts.push_back(fmt::format("{}:{}×{:g}", p.value("name", ""), p.value("mode", ""), e));
    }
    s.phases = fmt::format("{}", fmt::join(parts, " + "));
  }
  if (m.contains("final") && m["final"].contains("test")) {
    const auto& t = m["final"]["test"];
    s.test_accuracy = num(t, "accuracy");
    s.test_accuracy_std = num(t, "accuracy_std");
    s.test_loss = num(t, "loss");
    if (t.contains("output_deviation") && t["output_deviation"].is_number()) s.output_deviation = t["output_deviation"].get<double>();
    s.repeats = t.value("repeats", std::int64_t{1});
  }
  const auto epochs = m.value("epochs", nlohmann::json::array());
  double n = 0;
  for (const auto& e : epochs) {
    const auto sec = e.value("seconds", nlohmann::json::object());
    s.train_s_per_epoch += num(sec, "data") + num(sec, "forward") + num(sec, "backward") + num(sec, "calibration");
    s.calibration_s_per_epoch += num(sec, "calibration");
    s.eval_s += num(sec, "eval");
    s.images_per_s += num(e, "images_per_s");
    if (e.contains("test") && e["test"].is_object()) s.test_curve.emplace_back(num(e, "epoch"), num(e["test"], "accuracy"));
    n += 1;
  }
  if (n > 0) {
    s.train_s_per_epoch /= n;
    s.calibration_s_per_epoch /= n;
    s.images_per_s /= n;
  }
  if (s.kind == "eval") s.eval_s = num(m.at("eval"), "seconds");
  s.wall_s = num(m, "wall_seconds");
  s.peak_rss_bytes = m.value("peak_rss_bytes", std::int64_t{0});
  return s;
}

std::optional<RunSummary> read_summary(const std::string& path) {
  if (!fs::is_regular_file(path)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return summarize(j, path);
}

std::vector<RunSummary> collect_runs(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      for (fs::recursive_directory_iterator it(p), end; it != end; ++it)
        if (it->path().filename() == "metrics.json") files.push_back(it->path().string());
    } else if (fs::exists(p)) {
      files.push_back(p);
    } else {
      throw DataError(fmt::format("{}: no such file or directory", p));
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<RunSummary> out;
  for (const auto& f : files) {
    nlohmann::json m = nlohmann::json::parse(read_file(f), nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("schema_version"))
      throw DataError(fmt::format("{}: not an axtrain metrics.json", f));
    try {
      out.push_back(summarize(m, f));
    } catch (const nlohmann::json::exception& e) {
      throw DataError(fmt::format("{}: malformed metrics.json ({})", f, e.what()));
    }
  }
  return out;
}

std::string format_markdown(const std::vector<RunSummary>& runs) {
  std::string out =
      "| run | kind | hardware | phases | test acc | train s/epoch | calib s/epoch | img/s | eval s | peak RSS MiB |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : runs) {
    std::string acc = r.repeats > 1 ? fmt::format("{:.4f} ± {:.4f} ({}×)", r.test_accuracy, r.test_accuracy_std, r.repeats)
                                    : fmt::format("{:.4f}", r.test_accuracy);
    out += fmt::format("| {}/{} | {} | {} | {} | {} | {:.1f} | {:.1f} | {:.0f} | {:.1f} | {:.0f} |\n", r.name, r.run_id,
                       r.kind, r.hardware, r.phases, acc, r.train_s_per_epoch, r.calibration_s_per_epoch,
                       r.images_per_s, r.eval_s, static_cast<double>(r.peak_rss_bytes) / (1024.0 * 1024.0));
  }
  return out;
}

std::string format_csv(const std::vector<RunSummary>& runs) {
  std::string out =
      "path,name,run_id,kind,hardware,phases,epochs,test_accuracy,test_accuracy_std,repeats,test_loss,"
      "train_s_per_epoch,calibration_s_per_epoch,images_per_s,eval_s,wall_s,peak_rss_bytes\n";
  for (const auto& r : runs)
    out += fmt::format("{},{},{},{},{},\"{}\",{},{},{},{},{},{},{},{},{},{},{}\n", r.path, r.name, r.run_id, r.kind,
                       r.hardware, r.phases, r.epochs, r.test_accuracy, r.test_accuracy_std, r.repeats, r.test_loss,
                       r.train_s_per_epoch, r.calibration_s_per_epoch, r.images_per_s, r.eval_s, r.wall_s,
                       r.peak_rss_bytes);
  return out;
}

}  // namespace ax::report
