#include "axtrain/experiment/table_plot.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "axtrain/experiment/gnuplot.h"

namespace ax::experiment {
namespace {

std::string num_or_nan(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt::format("{}", *v) : "NaN"; }

// Horizontal bars, one row per cell or summary, the first at the top.
std::string bars(const std::string& dir, const ExperimentSpec& e, const std::vector<Row>& rows) {
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
  return draw_png(dir, "plot", 1000, std::max(360, 26 * n + 180), e.id + " — " + e.title, dat, body);
}

// A numeric x axis (the swept quantity), one line per series, error bars = std over seeds.
std::string sweep(const std::string& dir, const ExperimentSpec& e, const std::vector<Row>& rows) {
  std::map<std::string, std::vector<std::tuple<double, std::optional<double>, std::optional<double>>>> series;
  std::map<std::string, const Row*> by_id;
  for (const auto& r : rows) by_id[r.id] = &r;
  bool numeric = true;
  for (const auto& c : e.cells) numeric = numeric && c.x.has_value();
  if (!numeric) return bars(dir, e, rows);
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
  double lo = 1e300, hi = -1e300;
  for (const auto& c : e.cells) lo = std::min(lo, *c.x), hi = std::max(hi, *c.x);
  const double pad = hi > lo ? 0.05 * (hi - lo) : 0.5;  // 5 % of the swept range on either side
  const std::string body = fmt::format("set xlabel {}\nset ylabel {}\nset grid\nset key outside right top\nset xrange [{}:{}]\nplot {}\n",
                                       gnuplot_text(e.xlabel.empty() ? "swept value" : e.xlabel),
                                       gnuplot_text(unit_of(e.metric)), lo - pad, hi + pad, plots);
  return draw_png(dir, "plot", 1000, 560, e.id + " — " + e.title, dat, body);
}

}  // namespace

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
    case Metric::OutputDeviation: return "output deviation ‖O_hw − O_float‖ / ‖O_float‖ (mean over samples)";
  }
  return metric_name(m);
}

std::string plot_rows(const std::string& dir, const ExperimentSpec& e, const std::vector<Row>& rows) {
  if (e.plot == "sweep") return sweep(dir, e, rows);
  if (e.plot == "bars") return bars(dir, e, rows);
  return "";
}

}  // namespace ax::experiment
