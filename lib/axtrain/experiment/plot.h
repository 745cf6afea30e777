// Plots of an experiment (gnuplot, run as a program on the written <name>.gp): the cells as
// horizontal bars (ours beside the paper's where it has a number, error bars = std over seeds),
// sweeps on a numeric x axis (one line per series), li2022-fig3's curves one panel per hardware,
// li2022-fig2's error profile one panel per layer, and the claims (ours beside the paper's).
// Each returns the markdown line to put into table.md: the image, or why there is none.
#pragma once
#include <string>
#include <vector>

#include "axtrain/experiment/report.h"

namespace ax::experiment {

struct JudgedClaim;

// plot.png as the experiment's `plot:` asks ("" when it asks for none).
std::string plot_experiment(const Plan& plan, const std::vector<Row>& rows);
// claims.png ("" when there are no claims).
std::string plot_claims(const std::string& dir, const std::string& title, const std::vector<JudgedClaim>& judged);

// Helpers shared by the plots (exposed for tests).
std::string gnuplot_text(const std::string& s);     // a single-quoted gnuplot string
std::string unit_of(Metric m);                       // axis label of a metric, with its unit

}  // namespace ax::experiment
