// claims.png: per claim, our effect beside the paper's (horizontal bars, the claim id and its
// verdict as the row label, error bars = the spread over seeds).
#include <cmath>

#include <fmt/format.h>

#include "axtrain/experiment/gnuplot.h"
#include "axtrain/experiment/verdicts.h"

namespace ax::experiment {
namespace {

std::string num_or_nan(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt::format("{}", *v) : "NaN"; }

}  // namespace

std::string plot_claims(const std::string& dir, const std::string& title, const std::vector<JudgedClaim>& judged) {
  if (judged.empty()) return "";
  std::string dat;
  bool spread = false;
  int n = 0;
  for (const auto& j : judged) {
    const Claim& c = *j.claim;
    const std::optional<double> paper = c.paper ? c.paper : c.within;  // a "within x" claim without one: the bound
    dat += fmt::format("{} \"{} ({})\" {} {} {}\n", n++, c.id, verdict_name(j.judgement.verdict), num_or_nan(j.judgement.ours),
                       num_or_nan(j.judgement.spread), num_or_nan(paper));
    spread = spread || j.judgement.spread.has_value();
  }
  bool all_points = true;
  for (const auto& j : judged) all_points = all_points && j.claim->points;
  std::string plots =
      "'claims.dat' using 3:($1-0.2):(0):3:($1-0.38):($1-0.02):ytic(2) with boxxyerror lc rgb '#4477aa' title 'axtrain'";
  if (spread) plots += ", '' using 3:($1-0.2):($3-$4):($3+$4) with xerrorbars lc rgb 'black' pt 0 title 'spread over seeds'";
  plots += ", '' using 5:($1+0.2):(0):5:($1+0.02):($1+0.38) with boxxyerror lc rgb '#ee6677' title 'paper (within-x claims without a number: the bound x)'";
  const std::string body = fmt::format(
      "set style fill solid 0.7 border -1\nset yrange [{}:-0.7]\nset ytics nomirror\nset grid xtics\nset yzeroaxis lt -1\n"
      "set key outside top center horizontal\nset xlabel {}\nset lmargin 40\nplot {}\n",
      n - 0.3,
      gnuplot_text(all_points ? "effect: difference of test accuracies (fraction; 0.01 = 1 point)"
                              : "effect as declared (units per claim: see the table's Claims section)"),
      plots);
  return draw_png(dir, "claims", 1000, std::max(320, 30 * n + 180), title + " — claims", dat, body);
}

}  // namespace ax::experiment
