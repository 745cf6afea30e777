// The plots drawn from a table's rows alone (so also from a committed table.csv): the cells as
// horizontal bars (ours beside the paper's where it has a number; error bars = std over seeds, or
// over fault draws) and sweeps on a numeric x axis (one line per series, error bars over seeds).
#pragma once
#include <string>
#include <vector>

#include "axtrain/experiment/row.h"
#include "axtrain/experiment/spec.h"

namespace ax::experiment {

// <dir>/plot.png for `plot: bars` or `plot: sweep` ("" for other plots); the markdown line.
std::string plot_rows(const std::string& dir, const ExperimentSpec& e, const std::vector<Row>& rows);
// The axis label of a metric, with its unit.
std::string unit_of(Metric m);

}  // namespace ax::experiment
