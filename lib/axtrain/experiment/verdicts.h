// The claims of an experiment judged on its table (claims.h has the rules): a "## Claims" section
// of table.md, claims.csv beside it (machine-readable: what the README's "What we reproduce" is
// checked against) and claims.png (ours beside the paper's per claim). The rows come either from
// the runs (experiment run / report) or from a committed table.csv (experiment verdicts), so a
// committed table can be judged without its runs.
#pragma once
#include <string>
#include <vector>

#include "axtrain/experiment/row.h"
#include "axtrain/experiment/spec.h"

namespace ax::experiment {

struct JudgedClaim {
  const Claim* claim = nullptr;
  Judgement judgement;
};

std::vector<JudgedClaim> judge_claims(const ExperimentSpec& e, const std::vector<Row>& rows, Scale scale);
// The rows of a table.csv written by write_report (UsageError when it is absent or malformed).
std::vector<Row> rows_from_csv(const std::string& table_csv);
// claims.csv and the markdown section (starting "## Claims"); empty when the experiment has none.
std::string claims_csv(const std::vector<JudgedClaim>& judged);
std::string claims_markdown(const std::vector<JudgedClaim>& judged, Scale scale);
// claims.png: ours beside the paper's per claim (claims_plot.cpp); returns the markdown line.
std::string plot_claims(const std::string& dir, const std::string& title, const std::vector<JudgedClaim>& judged);
// Writes claims.csv and claims.png into dir and puts the section into table.md (replacing an
// earlier one); `how`, when given, is said under the heading (e.g. judged later from table.csv).
std::string write_verdicts(const std::string& dir, const ExperimentSpec& e, const std::vector<JudgedClaim>& judged,
                           Scale scale, const std::string& how = "");

}  // namespace ax::experiment
