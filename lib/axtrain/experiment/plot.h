// Plots of an experiment (gnuplot, run as a program on the written <name>.gp): bars and sweeps
// from the table's rows (table_plot.h), and from the runs' files li2022-fig3's curves (one panel
// per hardware, legend below) and li2022-fig2's error profile (one panel per layer).
// Each returns the markdown line to put into table.md: the image, or why there is none.
#pragma once
#include <string>
#include <vector>

#include "axtrain/experiment/report.h"

namespace ax::experiment {

// plot.png as the experiment's `plot:` asks ("" when it asks for none).
std::string plot_experiment(const Plan& plan, const std::vector<Row>& rows);


}  // namespace ax::experiment
