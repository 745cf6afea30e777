// The experiment's table: per cell our value (mean ± std over seeds; normalised when asked), the
// paper's, the difference and — at full scale — whether it is within the tolerance; then the
// summary rows. Writes <plan.dir>/table.md and table.csv, and plot.png (gnuplot) when the
// experiment asks for a plot.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "axtrain/experiment/plan.h"

namespace ax::experiment {

struct Row {
  std::string id, label;
  std::optional<double> ours, std, paper;
  std::int64_t n = 0;  // seeds with a result
  std::int64_t diverged = 0;  // seeds whose training diverged (metrics.json status: diverged)
};

struct ReportOptions {
  std::string command;  // how it was run, for the header
};

std::vector<Row> table_rows(const Plan& plan);
// Writes the files; returns the path of table.md.
std::string write_report(const Plan& plan, const ReportOptions& o);

}  // namespace ax::experiment
