// axtrain report PATH... [--csv]
// One row per metrics.json (files named, or found below directories): accuracy, seconds per
// epoch (training, calibration), images/s, memory (lib/axtrain/report/summary.h).
#include <iostream>

#include "axtrain/report/summary.h"
#include "commands.h"

namespace ax::cli {

void add_report(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto csv = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("report", "summarise runs (metrics.json files or result directories) as a table");
  cmd->add_option("paths", *paths, "metrics.json files or directories holding them")->required();
  cmd->add_flag("--csv", *csv, "CSV instead of a Markdown table");
  cmd->callback([paths, csv] {
    auto runs = report::collect_runs(*paths);
    std::cout << (*csv ? report::format_csv(runs) : report::format_markdown(runs));
  });
}

}  // namespace ax::cli
