#include "axtrain/experiment/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/files.h"
#include "axtrain/experiment/verdicts.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

std::string num_or_nan(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt::format("{}", *v) : "NaN"; }

// Writes <name>.dat and <name>.gp and runs gnuplot; returns the markdown line.
std::string draw(const std::string& dir, const std::string& name, int width, int height, const std::string& title,
                 const std::string& dat, const std::string& body) {
  make_dirs(dir);
  write_file_atomic(dir + "/" + name + ".dat", dat);
  write_file_atomic(dir + "/" + name + ".gp",
                    fmt::format("set terminal pngcairo size {},{} noenhanced font ',11'\nset output '{}.png'\nset title {}\n{}",
                                width, height, name, gnuplot_text(title), body));
  const std::string cmd = "cd '" + dir + "' && gnuplot " + name + ".gp >/dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0) return fmt::format("\n![{0}]({0}.png)\n", name);
  return fmt::format("\n({}.gp written; gnuplot was not available to draw {}.png)\n", name, name);
}

nlohmann::json read(const std::string& path) { return nlohmann::json::parse(std::ifstream(path)); }

// The part of a cell id before its first '/' (the panel of a curve), or "" without one.
std::string panel_of(const std::string& id) {
  const auto slash = id.find('/');
  return slash == std::string::npos ? "" : id.substr(0, slash);
}

// Horizontal bars, one row per cell or summary, the first at the top.
std::string bars(const Plan& plan, const std::vector<Row>& rows) {
  const ExperimentSpec& e = *plan.spec;
  std::string dat;
  int n = 0;
  bool paper = false, spread = false, draws = false, normalised = false;
  for (const auto& r : rows) {
    if (!r.ours && !r.paper) continue;
    const std::string label = r.id.rfind("summary: ", 0) == 0 ? "Σ " + r.id.substr(9) : r.id;
    const std::optional<double> err = r.std ? r.std : r.draws_std;
    dat += fmt::format("{} \"{}\" {} {} {}\n", n++, label, num_or_nan(r.ours), num_or_nan(err), num_or_nan(r.paper));
    paper = paper || r.paper.has_value();
    spread = spread || r.std.has_value();
    draws = draws || (!r.std && r.draws_std);
  }
  if (n == 0) return "";
  for (const auto& c : e.cells) normalised = normalised || !c.normalise_by.empty();
  const double off = paper ? 0.2 : 0.0, half = paper ? 0.18 : 0.3;
  std::string plots = fmt::format(
      "'plot.dat' using 3:($1-{0}):(0):3:($1-{0}-{1}):($1-{0}+{1}):ytic(2) with boxxyerror lc rgb '#4477aa' title "
      "'axtrain{2}'",
      off, half, spread ? " (mean over seeds)" : draws ? " (mean over fault draws)" : "");
  if (spread || draws)
    plots += fmt::format(", '' using 3:($1-{}):($3-$4):($3+$4) with xerrorbars lc rgb 'black' pt 0 title '{}'", off,
                         spread && draws ? "std over seeds (or fault draws)" : spread ? "std over seeds" : "std over fault draws");
  if (paper) plots += fmt::format(", '' using 5:($1+{0}):(0):5:($1+{0}-{1}):($1+{0}+{1}) with boxxyerror lc rgb '#ee6677' title 'paper'", off, half);
  std::string xlabel = unit_of(e.metric);
  if (normalised) xlabel += "; rows with a reference: ÷ the reference";
  const std::string body = fmt::format(
      "set style fill solid 0.7 border -1\nset yrange [{}:-0.7]\nset ytics nomirror\nset grid xtics\n"
      "set key outside top center horizontal\nset xlabel {}\nset lmargin 34\nplot {}\n",
      n - 0.3, gnuplot_text(xlabel), plots);
  return draw(plan.dir, "plot", 1000, std::max(360, 26 * n + 180), e.id + " — " + e.title, dat, body);
}

// A numeric x axis (the swept quantity), one line per series, error bars = std over seeds.
std::string sweep(const Plan& plan, const std::vector<Row>& rows) {
  const ExperimentSpec& e = *plan.spec;
  std::map<std::string, std::vector<std::tuple<double, std::optional<double>, std::optional<double>>>> series;
  std::map<std::string, const Row*> by_id;
  for (const auto& r : rows) by_id[r.id] = &r;
  bool numeric = true;
  for (const auto& c : e.cells) numeric = numeric && c.x.has_value();
  if (!numeric) return bars(plan, rows);
  for (const auto& c : e.cells) {
    const Row* r = by_id.at(c.id);
    series[c.series].emplace_back(*c.x, r->ours, r->std);
  }
  std::string dat, plots;
  int k = 0;
  for (auto& [name, points] : series) {
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    for (const auto& [x, y, s] : points) dat += fmt::format("{} {} {}\n", x, num_or_nan(y), s ? fmt::format("{}", *s) : "0");
    dat += "\n\n";
    plots += fmt::format("{}'plot.dat' index {} using 1:2:3 with yerrorlines title {}", k ? ", " : "", k,
                         gnuplot_text(name.empty() ? "axtrain" : name));
    ++k;
  }
  const std::string body = fmt::format("set xlabel {}\nset ylabel {}\nset grid\nset key outside right top\nset offsets 0.3, 0.3, 0, 0\nplot {}\n",
                                       gnuplot_text(e.xlabel.empty() ? "swept value" : e.xlabel),
                                       gnuplot_text(unit_of(e.metric)), plots);
  return draw(plan.dir, "plot", 1000, 560, e.id + " — " + e.title, dat, body);
}

// Test accuracy per epoch of every training cell (seed 1), one panel per id prefix (hardware).
std::string curves(const Plan& plan) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> panels;  // panel → (label, points)
  std::vector<std::string> order;
  for (const auto& t : plan.tasks) {
    if (t.train_dir.empty() || t.seed != 1 || !fs::is_regular_file(t.train_dir + "/metrics.json")) continue;
    std::string pts;
    for (const auto& ep : read(t.train_dir + "/metrics.json").value("epochs", nlohmann::json::array()))
      if (ep.contains("test")) pts += fmt::format("{} {}\n", ep["epoch"].get<double>(), ep["test"]["accuracy"].get<double>());
    if (pts.empty()) continue;
    const std::string p = panel_of(t.cell->id);
    if (!panels.count(p)) order.push_back(p);
    panels[p].emplace_back(t.cell->label, pts);
  }
  if (panels.empty()) return "";
  std::string dat, body = fmt::format("set multiplot layout 1,{}\n", panels.size());
  int k = 0;
  for (const auto& p : order) {
    std::string plots;
    for (const auto& [label, pts] : panels[p]) {
      dat += pts + "\n\n";
      plots += fmt::format("{}'plot.dat' index {} with linespoints pt 7 ps 0.5 title {}", plots.empty() ? "" : ", ", k++,
                           gnuplot_text(label));
    }
    body += fmt::format("set title {}\nset xlabel 'epoch'\nset ylabel 'test accuracy (fraction)'\nset yrange [0:1]\n"
                        "set grid\nset key below vertical\nplot {}\n",
                        gnuplot_text(p.empty() ? plan.spec->id : p), plots);
  }
  body += "unset multiplot\n";
  return draw(plan.dir, "plot", 520 * static_cast<int>(order.size()), 640, plan.spec->id + " — " + plan.spec->title, dat, body);
}

// The last calibration of the first training run that has one: per layer (one panel each), the
// binned mean ± std of (hardware − proxy) against the proxy's output.
std::string error_profile(const Plan& plan) {
  for (const auto& t : plan.tasks) {
    const std::string f = t.train_dir + "/calibration.jsonl";
    if (t.train_dir.empty() || !fs::is_regular_file(f)) continue;
    std::ifstream in(f);
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    if (last.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(last);
    std::string dat, panels;
    int k = 0;
    for (const auto& [name, layer] : j["layers"].items()) {
      if (!layer.contains("bins") || !layer["bins"].contains("centre")) continue;
      const auto& b = layer["bins"];
      for (std::size_t i = 0; i < b["centre"].size(); ++i)
        if (b["count"][i].get<double>() > 0)
          dat += fmt::format("{} {} {}\n", b["centre"][i].get<double>(), b["mean"][i].get<double>(), b["std"][i].get<double>());
      dat += "\n\n";
      panels += fmt::format("set title {}\nplot 'plot.dat' index {} with yerrorlines pt 7 ps 0.5 lc rgb '#4477aa' notitle\n",
                            gnuplot_text("layer " + name), k++);
    }
    if (k == 0) continue;
    const int cols = k > 1 ? 2 : 1, rows = (k + cols - 1) / cols;
    const std::string body = fmt::format(
        "set multiplot layout {},{}\nset xlabel 'proxy output (normal computation + activation)'\n"
        "set ylabel 'stream − proxy: mean ± std'\nset grid\n{}unset multiplot\n",
        rows, cols, panels);
    return draw(plan.dir, "plot", 520 * cols, 380 * rows + 40, plan.spec->id + " — " + plan.spec->title, dat, body);
  }
  return "";
}

}  // namespace

std::string gnuplot_text(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("''") : std::string(1, ch);
  return q + "'";
}

std::string unit_of(Metric m) {
  switch (m) {
    case Metric::TestAccuracy: return "test accuracy (fraction)";
    case Metric::TestAccuracyStd: return "std of test accuracy over fault draws (fraction)";
    case Metric::TestLoss: return "test loss (cross-entropy, nats)";
    case Metric::TrainSecondsPerEpoch: return "training time (s per epoch)";
    case Metric::CalibrationSecondsPerEpoch: return "calibration time (s per epoch)";
    case Metric::PeakRssBytes: return "peak memory (bytes, process RSS)";
    case Metric::WallSeconds: return "wall time (s)";
    case Metric::RelativeComputePower: return "compute power (relative to exact)";
    case Metric::RelativeStoragePower: return "storage power (relative to nominal voltage)";
    case Metric::ApproxMultiplierFraction: return "approximate multipliers (fraction)";
  }
  return metric_name(m);
}

std::string plot_experiment(const Plan& plan, const std::vector<Row>& rows) {
  const std::string& p = plan.spec->plot;
  if (p.empty()) return "";
  if (p == "error_profile") return error_profile(plan);
  if (p == "curves") return curves(plan);
  if (p == "sweep") return sweep(plan, rows);
  return bars(plan, rows);
}

std::string plot_claims(const std::string& dir, const std::string& title, const std::vector<JudgedClaim>& judged) {
  if (judged.empty()) return "";
  std::string dat;
  bool spread = false;
  int n = 0;
  for (const auto& j : judged) {
    const Claim& c = *j.claim;
    const std::optional<double> paper = c.paper ? c.paper : c.within;  // a "within x" claim without one: the bound
    dat += fmt::format("{} \"{} ({})\" {} {} {}\n", n++, c.id, verdict_name(j.judgement.verdict), num_or_nan(j.judgement.ours),
                       num_or_nan(j.judgement.spread), num_or_nan(paper));
    spread = spread || j.judgement.spread.has_value();
  }
  bool all_points = true;
  for (const auto& j : judged) all_points = all_points && j.claim->points;
  std::string plots =
      "'claims.dat' using 3:($1-0.2):(0):3:($1-0.38):($1-0.02):ytic(2) with boxxyerror lc rgb '#4477aa' title 'axtrain'";
  if (spread) plots += ", '' using 3:($1-0.2):($3-$4):($3+$4) with xerrorbars lc rgb 'black' pt 0 title 'spread over seeds'";
  plots += ", '' using 5:($1+0.2):(0):5:($1+0.02):($1+0.38) with boxxyerror lc rgb '#ee6677' title 'paper (within-x claims: the bound x)'";
  const std::string body = fmt::format(
      "set style fill solid 0.7 border -1\nset yrange [{}:-0.7]\nset ytics nomirror\nset grid xtics\nset xzeroaxis lt -1\n"
      "set key outside top center horizontal\nset xlabel {}\nset lmargin 40\nplot {}\n",
      n - 0.3,
      gnuplot_text(all_points ? "effect: difference of test accuracies (fraction; 0.01 = 1 point)"
                              : "effect as declared (units per claim: see the table's Claims section)"),
      plots);
  return draw(dir, "claims", 1000, std::max(320, 30 * n + 180), title + " — claims", dat, body);
}

}  // namespace ax::experiment
