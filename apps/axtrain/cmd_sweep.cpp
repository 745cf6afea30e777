// axtrain sweep CONFIG --grid KEY.PATH=v1,v2,... [--grid ...] [--set ...] [--metric M] [--out DIR]
//                [--xlabel TEXT] [--seeds N] [--jobs N] [--emit slurm]
// A grid of runs (every combination of the --grid values, as --set overrides) with one summary
// table (table.md, table.csv) and a plot (plot.png): an experiment made on the fly, run like one.
// When the first --grid axis is numeric the plot has it as its x axis (labelled --xlabel), one
// line per combination of the other axes, error bars = std over --seeds.
#include <cstdlib>
#include <iostream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/experiment/plan.h"
#include "commands.h"

namespace fs = boost::filesystem;

namespace ax::cli {

void run_and_report(experiment::Plan& plan, const std::string& emit, int jobs, std::int64_t threads,
                    const std::string& command, bool require_numbers, const std::vector<std::string>& cells);

void add_sweep(CLI::App& app) {
  struct Args {
    std::string config, metric = "test_accuracy", out, emit, xlabel;
    std::vector<std::string> grid, sets;
    int jobs = 1;
    std::int64_t threads = 0, seeds = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sweep", "a grid of runs over config keys, one table and plot");
  cmd->add_option("config", a->config, "run config (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--grid", a->grid, "KEY.PATH=v1,v2,... (repeatable; values are YAML, e.g. hardware.adc_bits=2,3,4)")->required();
  cmd->add_option("--set", a->sets, "an override of every run: KEY.PATH=VALUE (repeatable)");
  cmd->add_option("--metric", a->metric, "what the table reports")->capture_default_str();
  cmd->add_option("--out", a->out, "results root (default results/sweeps)");
  cmd->add_option("--xlabel", a->xlabel, "x axis label of the plot: the first --grid axis (default: its key path)");
  cmd->add_option("--seeds", a->seeds, "runs per grid point with seeds 1..N (mean ± std)")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--jobs", a->jobs, "runs at a time")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--threads", a->threads, "CPU threads per run (0 = cores / jobs)")->check(CLI::Range(0, 4096));
  cmd->add_option("--emit", a->emit, "write Slurm job arrays instead of running")->check(CLI::IsMember({"slurm"}));
  cmd->callback([a] {
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    for (const auto& g : a->grid) {
      auto eq = g.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == g.size())
        throw UsageError(fmt::format("--grid '{}': expected KEY.PATH=v1,v2,...", g));
      std::vector<std::string> values;
      std::string v;
      int depth = 0;  // commas inside {...} or [...] belong to the value
      for (char ch : g.substr(eq + 1)) {
        if (ch == '{' || ch == '[') ++depth;
        if (ch == '}' || ch == ']') --depth;
        if (ch == ',' && depth == 0) values.push_back(v), v.clear();
        else v += ch;
      }
      values.push_back(v);
      for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i].find_first_not_of(" \t") == std::string::npos)
          throw UsageError(fmt::format("--grid '{}': value {} of {} is empty; give every value (an empty cell "
                                       "would silently mean the default)", g, i + 1, values.size()));
      axes.emplace_back(g.substr(0, eq), values);
    }
    // The experiment file that this sweep is, written next to its results (so `experiment
    // report` can rebuild the table from it).
    const std::string stem = fs::path(a->config).stem().string();
    const std::string root = a->out.empty() ? "results/sweeps" : a->out;
    // the complete command (every option that changes a number), for the table's header
    std::string command = "axtrain sweep " + a->config;
    auto quoted = [](const std::string& v) { return v.find_first_of(" {}[]*'\"") == std::string::npos ? v : "'" + v + "'"; };
    for (const auto& g : a->grid) command += " --grid " + quoted(g);
    for (const auto& v : a->sets) command += " --set " + quoted(v);
    if (a->metric != "test_accuracy") command += " --metric " + a->metric;
    if (a->seeds != 1) command += fmt::format(" --seeds {}", a->seeds);
    if (a->jobs != 1) command += fmt::format(" --jobs {}", a->jobs);
    if (a->threads != 0) command += fmt::format(" --threads {}", a->threads);
    bool numeric = true;  // the first axis as a numeric x axis
    for (const auto& v : axes[0].second) {
      char* end = nullptr;
      std::strtod(v.c_str(), &end);
      numeric = numeric && !v.empty() && end == v.c_str() + v.size();
    }
    std::string grid_text;
    for (const auto& g : a->grid) grid_text += (grid_text.empty() ? "" : " × ") + g;
    YAML::Emitter y;
    y << YAML::BeginMap << YAML::Key << "id" << YAML::Value << "sweep-" + stem << YAML::Key << "title" << YAML::Value
      << "sweep of " + a->config << YAML::Key << "source" << YAML::Value
      << "axtrain sweep of " + a->config + " over " + grid_text << YAML::Key << "metric" << YAML::Value << a->metric
      << YAML::Key << "seeds" << YAML::Value << a->seeds << YAML::Key << "xlabel" << YAML::Value
      << (a->xlabel.empty() ? axes[0].first : a->xlabel) << YAML::Key << "plot" << YAML::Value << "sweep" << YAML::Key << "scales" << YAML::Value << YAML::BeginMap << YAML::Key << "full"
      << YAML::Value << YAML::BeginMap << YAML::EndMap << YAML::EndMap << YAML::Key << "cells" << YAML::Value
      << YAML::BeginSeq;
    std::vector<std::size_t> at(axes.size(), 0);
    while (true) {
      std::string id;
      std::vector<std::string> sets = a->sets;
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::string& v = axes[i].second[at[i]];
        std::string tag = fs::path(v).stem().string();  // a preset path reads as its name
        id += (id.empty() ? "" : ",") + axes[i].first + "=" + (v.find('/') != std::string::npos ? tag : v);
        sets.push_back(axes[i].first + "=" + v);
      }
      std::string safe;
      for (char ch : id) safe += std::isalnum(static_cast<unsigned char>(ch)) || std::string("_.=,+-").find(ch) != std::string::npos ? ch : '_';
      std::string series;
      for (std::size_t i = 1; i < axes.size(); ++i) {
        const std::string& v = axes[i].second[at[i]];
        series += (series.empty() ? "" : ", ") + axes[i].first + "=" + (v.find('/') != std::string::npos ? fs::path(v).stem().string() : v);
      }
      y << YAML::BeginMap << YAML::Key << "id" << YAML::Value << safe << YAML::Key << "label" << YAML::Value << id
        << YAML::Key << "config" << YAML::Value << a->config << YAML::Key << "set" << YAML::Value << YAML::Flow << sets;
      if (numeric) y << YAML::Key << "x" << YAML::Value << axes[0].second[at[0]] << YAML::Key << "series" << YAML::Value << series;
      y << YAML::EndMap;
      std::size_t i = axes.size();
      while (i > 0 && ++at[i - 1] == axes[i - 1].second.size()) at[--i] = 0;
      if (i == 0) break;
    }
    y << YAML::EndSeq << YAML::EndMap;
    const std::string dir = root + "/sweep-" + stem;
    fs::create_directories(dir);
    const std::string file = dir + "/experiment.yaml";
    std::ofstream(file) << "# written by: axtrain sweep " << a->config << "\n" << y.c_str() << "\n";
    experiment::ExperimentSpec e = experiment::load_experiment(file);
    experiment::Plan plan = experiment::make_plan(e, experiment::Scale::Full, root);
    run_and_report(plan, a->emit, a->jobs, a->threads, command, false, {});
  });
}

}  // namespace ax::cli
