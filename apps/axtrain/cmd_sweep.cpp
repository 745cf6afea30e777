// axtrain sweep CONFIG --grid KEY.PATH=v1,v2,... [--grid ...] [--set ...] [--metric M] [--out DIR]
//                [--jobs N] [--emit slurm]
// A grid of runs (every combination of the --grid values, as --set overrides) with one summary
// table (table.md, table.csv) and a plot (plot.png): an experiment made on the fly, run like one.
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
    std::string config, metric = "test_accuracy", out, emit;
    std::vector<std::string> grid, sets;
    int jobs = 1;
    std::int64_t threads = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sweep", "a grid of runs over config keys, one table and plot");
  cmd->add_option("config", a->config, "run config (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--grid", a->grid, "KEY.PATH=v1,v2,... (repeatable; values are YAML, e.g. hardware.adc_bits=2,3,4)")->required();
  cmd->add_option("--set", a->sets, "an override of every run: KEY.PATH=VALUE (repeatable)");
  cmd->add_option("--metric", a->metric, "what the table reports")->capture_default_str();
  cmd->add_option("--out", a->out, "results root (default results/sweeps)");
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
    YAML::Emitter y;
    y << YAML::BeginMap << YAML::Key << "id" << YAML::Value << "sweep-" + stem << YAML::Key << "title" << YAML::Value
      << "sweep of " + a->config << YAML::Key << "metric" << YAML::Value << a->metric << YAML::Key << "plot"
      << YAML::Value << "sweep" << YAML::Key << "scales" << YAML::Value << YAML::BeginMap << YAML::Key << "full"
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
      y << YAML::BeginMap << YAML::Key << "id" << YAML::Value << safe << YAML::Key << "label" << YAML::Value << id
        << YAML::Key << "config" << YAML::Value << a->config << YAML::Key << "set" << YAML::Value << YAML::Flow << sets
        << YAML::EndMap;
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
    std::string command = "axtrain sweep " + a->config;
    for (const auto& g : a->grid) command += " --grid " + g;
    run_and_report(plan, a->emit, a->jobs, a->threads, command, false, {});
  });
}

}  // namespace ax::cli
