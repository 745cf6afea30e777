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
#include "axtrain/experiment/gnuplot.h"
#include "axtrain/experiment/table_plot.h"
#include "axtrain/report/summary.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

// The part of a cell id before its first '/' (the panel of a curve), or "" without one.
std::string panel_of(const std::string& id) {
  const auto slash = id.find('/');
  return slash == std::string::npos ? "" : id.substr(0, slash);
}

// Test accuracy per epoch of every training cell (seed 1), one panel per id prefix (hardware).
std::string curves(const Plan& plan) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> panels;  // panel → (label, points)
  std::vector<std::string> order;
  for (const auto& t : plan.tasks) {
    if (t.train_dir.empty() || t.seed != 1) continue;
    const auto summary = report::read_summary(t.train_dir + "/metrics.json");
    if (!summary) continue;
    std::string pts;
    for (const auto& [epoch, accuracy] : summary->test_curve) pts += fmt::format("{} {}\n", epoch, accuracy);
    if (pts.empty()) continue;
    const std::string p = panel_of(t.cell->id);
    if (!panels.count(p)) order.push_back(p);
    panels[p].emplace_back(t.cell->label, pts);
  }
  if (panels.empty()) return "";
  std::string dat, body = fmt::format("set multiplot layout 1,{} title {}\n", panels.size(),
                                      gnuplot_text(plan.spec->id + " — " + plan.spec->title));
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
                        gnuplot_text(p.empty() ? "all cells" : "cells " + p + "/*"), plots);
  }
  body += "unset multiplot\n";
  return draw_png(plan.dir, "plot", 520 * static_cast<int>(order.size()), 640, plan.spec->id + " — " + plan.spec->title, dat, body);
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
        "set multiplot layout {},{} title {}\nset xlabel 'proxy output (normal computation + activation)'\n"
        "set ylabel 'stream − proxy: mean ± std'\nset grid\n{}unset multiplot\n",
        rows, cols, gnuplot_text(plan.spec->id + " — " + plan.spec->title), panels);
    return draw_png(plan.dir, "plot", 520 * cols, 380 * rows + 40, plan.spec->id + " — " + plan.spec->title, dat, body);
  }
  return "";
}

}  // namespace

std::string plot_experiment(const Plan& plan, const std::vector<Row>& rows) {
  const std::string& p = plan.spec->plot;
  if (p.empty()) return "";
  if (p == "error_profile") return error_profile(plan);
  if (p == "curves") return curves(plan);
  return plot_rows(plan.dir, *plan.spec, rows);
}

}  // namespace ax::experiment
