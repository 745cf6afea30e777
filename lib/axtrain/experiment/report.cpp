#include "axtrain/experiment/report.h"

#include <cmath>
#include <fstream>
#include <map>
#include <regex>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/files.h"
#include "axtrain/core/host.h"
#include "axtrain/eval/approxann.h"
#include "axtrain/experiment/plot.h"
#include "axtrain/experiment/verdicts.h"
#include "axtrain/report/summary.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

// Whether the task's training run diverged (metrics.json status: diverged).
bool diverged(const Task& t) {
  if (t.train_dir.empty()) return false;
  const auto s = report::read_summary(t.train_dir + "/metrics.json");
  return s && s->status == "diverged";
}

// The task's value of its cell's metric, or nullopt when its results are missing.
// *draws: the std over fault draws of an evaluation repeated with fresh faults (else untouched).
std::optional<double> value_of(const Task& t, double* wall, double* draws) {
  const Cell& c = *t.cell;
  if (c.approxann) {
    const auto a = eval::read_approxann_summary(t.approxann_dir + "/approxann.json");
    if (!a) return std::nullopt;
    switch (c.metric) {
      case Metric::ApproxMultiplierFraction: return a->approx_multiplier_fraction;
      case Metric::TestAccuracy: return a->final_accuracy;
      case Metric::RelativeComputePower: return a->relative_compute_power;
      case Metric::RelativeStoragePower: return a->relative_storage_power;
      default: return std::nullopt;
    }
  }
  std::string f;
  if (c.eval) {
    const std::string d = t.eval_dir();
    if (!d.empty()) f = d + "/metrics.json";
  } else f = t.train_dir + "/metrics.json";
  const auto summary = f.empty() ? std::nullopt : report::read_summary(f);
  if (!summary || !summary->complete()) return std::nullopt;
  const report::RunSummary& s = *summary;
  *wall += s.wall_s;
  if (c.eval && c.metric == Metric::TestAccuracy && c.normalise_by.empty() && s.test_accuracy_std > 0) *draws = s.test_accuracy_std;
  switch (c.metric) {
    case Metric::TestAccuracy: return s.test_accuracy;
    case Metric::TestAccuracyStd: return s.test_accuracy_std;
    case Metric::TestLoss: return s.test_loss;
    case Metric::TrainSecondsPerEpoch: return s.train_s_per_epoch;
    case Metric::CalibrationSecondsPerEpoch: return s.calibration_s_per_epoch;
    case Metric::PeakRssBytes: return static_cast<double>(s.peak_rss_bytes);
    case Metric::WallSeconds: return s.wall_s;
    case Metric::RelativeComputePower: return s.relative_compute_power;
    case Metric::RelativeStoragePower: return s.relative_storage_power;
    case Metric::ApproxMultiplierFraction: return std::nullopt;
    case Metric::OutputDeviation:
      if (std::isnan(s.output_deviation)) return std::nullopt;
      return s.output_deviation;
  }
  return std::nullopt;
}

void mean_std(const std::vector<double>& v, Row& r) {
  r.n = static_cast<std::int64_t>(v.size());
  if (v.empty()) return;
  double m = 0;
  for (double x : v) m += x / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  r.ours = m;
  if (v.size() > 1) r.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
}

std::string num(const std::optional<double>& v) {
  if (!v || std::isnan(*v)) return "—";
  const double a = std::abs(*v);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) return fmt::format("{:.4g}", *v);
  return fmt::format("{:.4f}", *v);
}

double total_wall = 0;

}  // namespace

std::vector<Row> table_rows(const Plan& plan) {
  const ExperimentSpec& e = *plan.spec;
  std::map<std::string, std::map<std::int64_t, double>> per_seed;
  std::map<std::string, std::int64_t> diverged_seeds;
  total_wall = 0;
  std::map<std::string, std::vector<double>> draws;  // per cell: std over fault draws, per seed
  for (const auto& t : plan.tasks) {
    double d = NAN;
    if (auto v = value_of(t, &total_wall, &d)) {
      per_seed[t.cell->id][t.seed] = *v;
      if (!std::isnan(d)) draws[t.cell->id].push_back(d);
    } else if (diverged(t)) {
      ++diverged_seeds[t.cell->id];
    }
  }
  std::vector<Row> rows;
  std::map<std::string, std::optional<double>> means;
  for (const auto& c : e.cells) {
    Row r;
    r.id = c.id;
    r.label = c.label;
    r.paper = c.paper;
    std::vector<double> v;
    for (const auto& [seed, x] : per_seed[c.id]) {
      if (c.normalise_by.empty()) {
        v.push_back(x);
        continue;
      }
      auto& base = per_seed[c.normalise_by];
      if (base.count(seed) && base[seed] != 0) v.push_back(x / base[seed]);
    }
    mean_std(v, r);
    if (!draws[c.id].empty()) {
      double m = 0;
      for (double d : draws[c.id]) m += d / static_cast<double>(draws[c.id].size());
      r.draws_std = m;
    }
    r.diverged = diverged_seeds[c.id];
    means[c.id] = r.ours;
    rows.push_back(r);
  }
  for (const auto& s : e.summaries) {
    auto to_regex = [](const std::string& pattern) {
      std::string re;
      for (char ch : pattern) re += ch == '*' ? std::string("(.*)") : std::regex_replace(std::string(1, ch), std::regex(R"([.^$|()\[\]{}+?\\])"), R"(\$&)");
      return std::regex(re);
    };
    std::regex num_re = to_regex(s.cells), den_re = to_regex(s.over.empty() ? s.cells : s.over);
    std::map<std::string, double> nums, dens;
    auto key = [](const std::smatch& mt) {  // what the '*'s matched pairs a cell with its denominator
      std::string k;
      for (std::size_t g = 1; g < mt.size(); ++g) k += mt[g].str() + "\x1f";
      return k;
    };
    for (const auto& [id, m] : means) {
      std::smatch mt;
      if (!m) continue;
      if (std::regex_match(id, mt, num_re)) nums[key(mt)] = *m;
      if (!s.over.empty() && std::regex_match(id, mt, den_re)) dens[key(mt)] = *m;
    }
    std::vector<double> v;
    for (const auto& [k, x] : nums) {
      if (s.op == Summary::Op::Mean) {
        v.push_back(x);
        continue;
      }
      if (!dens.count(k) || dens[k] == 0) continue;
      const double q = x / dens[k];
      v.push_back(s.op == Summary::Op::MeanRatio ? q : s.op == Summary::Op::OneMinusMeanRatio ? 1 - q : q - 1);
    }
    Row r;
    r.id = "summary: " + s.id;
    r.label = s.label;
    r.paper = s.paper;
    if (!v.empty()) {
      double m = 0;
      for (double x : v) m += x / static_cast<double>(v.size());
      r.ours = m;
      r.n = static_cast<std::int64_t>(v.size());
    }
    rows.push_back(r);
  }
  return rows;
}

std::string write_report(const Plan& plan, const ReportOptions& o) {
  const ExperimentSpec& e = *plan.spec;
  std::vector<Row> rows = table_rows(plan);
  const bool judged = plan.scale == Scale::Full;
  const ScaleSpec& sc = e.scale(plan.scale);
  std::string md = fmt::format("# {} — {}\n\n", e.id, e.title);
  md += fmt::format("Source: {}  \nScale: `{}`{}  \nCommand: `{}`  \nMachine: {} cores, LibTorch {}; axtrain {} (git {})  \n"
                    "Date: {}; wall time of the runs: {:.1f} s  \nMetric: `{}`{}\n\n",
                    e.source, scale_name(plan.scale), sc.note.empty() ? "" : " — " + sc.note, o.command,
                    ax::cpu_cores(), ax::torch_version(), ax::version(), ax::git_revision(),
                    ax::utc_now(), total_wall, metric_name(e.metric),
                    judged ? fmt::format(", tolerance ±{}", e.tolerance) : " (differences reported, not judged below full scale)");
  md += "| cell | ours | paper | difference | within tolerance |\n|---|---|---|---|---|\n";
  std::string csv = "cell,label,ours,ours_std,seeds,paper,difference,within_tolerance,ours_std_over_draws,diverged_seeds\n";
  for (const auto& r : rows) {
    std::optional<double> diff;
    if (r.ours && r.paper) diff = *r.ours - *r.paper;
    std::string within = !diff ? "—" : !judged ? "(not judged)" : std::abs(*diff) <= e.tolerance ? "yes" : "no";
    std::string ours = num(r.ours) + (r.std ? " ± " + num(r.std) : "");
    if (r.diverged > 0) ours = r.ours ? fmt::format("{} ({} seed(s) diverged)", ours, r.diverged) : "diverged";
    md += fmt::format("| {} | {} | {} | {} | {} |\n", r.label == r.id ? r.id : r.label + " (`" + r.id + "`)", ours,
                      num(r.paper), diff ? fmt::format("{:+.4f}", *diff) : "—", within);
    csv += fmt::format("\"{}\",\"{}\",{},{},{},{},{},{},{},{}\n", r.id, r.label, r.ours ? fmt::format("{}", *r.ours) : "",
                       r.std ? fmt::format("{}", *r.std) : "", r.n, r.paper ? fmt::format("{}", *r.paper) : "",
                       diff ? fmt::format("{}", *diff) : "", within, r.draws_std ? fmt::format("{}", *r.draws_std) : "",
                       r.diverged);
  }
  make_dirs(plan.dir);
  const std::string table = plan.dir + "/table.md";
  md += plot_experiment(plan, rows);
  write_file_atomic(plan.dir + "/table.csv", csv);
  write_file_atomic(table, md);
  write_verdicts(plan.dir, e, judge_claims(e, rows, plan.scale), plan.scale);
  return table;
}

}  // namespace ax::experiment
