#include "axtrain/experiment/verdicts.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

std::string num(const std::optional<double>& v) {
  if (!v) return "—";
  if (!std::isfinite(*v)) return fmt::format("{}", *v);
  const double a = std::abs(*v);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) return fmt::format("{:+.4g}", *v);
  return fmt::format("{:+.4f}", *v);
}

std::string raw(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : ""; }

std::string csv_text(const std::string& s) {
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string f;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (ch == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') f += '"', ++i;
    else if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) out.push_back(f), f.clear();
    else f += ch;
  }
  out.push_back(f);
  return out;
}

std::optional<double> number(const std::string& s, const std::string& file, int line) {
  if (s.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  if (s == "nan" || s == "NaN" || s == "-nan") return NAN;
  throw UsageError(fmt::format("{}:{}: '{}' is not a number", file, line, s));
}

}  // namespace

std::vector<JudgedClaim> judge_claims(const ExperimentSpec& e, const std::vector<Row>& rows, Scale scale) {
  std::map<std::string, RowValue> values;
  for (const auto& r : rows) {
    RowValue v;
    v.mean = r.ours;
    v.std = r.std;
    // a summary's count is of pairs, not seeds: it stands on the experiment's seeds
    v.seeds = r.id.rfind("summary: ", 0) == 0 ? (r.ours ? e.seeds : 0) : r.n;
    values[r.id] = v;
  }
  std::vector<JudgedClaim> out;
  for (const auto& c : e.claims) out.push_back({&c, judge(c, values, scale == Scale::Smoke)});
  return out;
}

std::vector<Row> rows_from_csv(const std::string& table_csv) {
  std::ifstream in(table_csv);
  if (!in) throw UsageError(fmt::format("{}: cannot read (run the experiment, or name another --scale)", table_csv));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> head = csv_fields(line);
  if (head.size() < 6 || head[0] != "cell" || head[2] != "ours" || head[3] != "ours_std" || head[4] != "seeds" || head[5] != "paper")
    throw UsageError(fmt::format("{}:1: expected the header cell,label,ours,ours_std,seeds,paper,...", table_csv));
  std::vector<Row> rows;
  int at = 1;
  while (std::getline(in, line)) {
    ++at;
    if (line.empty()) continue;
    const std::vector<std::string> f = csv_fields(line);
    if (f.size() < 6) throw UsageError(fmt::format("{}:{}: expected at least 6 fields, got {}", table_csv, at, f.size()));
    Row r;
    r.id = f[0];
    r.label = f[1];
    r.ours = number(f[2], table_csv, at);
    r.std = number(f[3], table_csv, at);
    r.n = f[4].empty() ? 0 : static_cast<std::int64_t>(*number(f[4], table_csv, at));
    r.paper = number(f[5], table_csv, at);
    if (f.size() > 8) r.draws_std = number(f[8], table_csv, at);
    if (f.size() > 9 && !f[9].empty()) r.diverged = static_cast<std::int64_t>(number(f[9], table_csv, at).value_or(0));
    rows.push_back(r);
  }
  return rows;
}

std::string claims_csv(const std::vector<JudgedClaim>& judged) {
  std::string csv = "claim,label,effect,ours,spread,paper,within,side,expect,accuracy,verdict,reason\n";
  for (const auto& j : judged) {
    const Claim& c = *j.claim;
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_text(c.id), csv_text(c.label), csv_text(c.effect_text),
                       raw(j.judgement.ours), raw(j.judgement.spread), raw(c.paper), raw(c.within),
                       c.within ? (c.lower_only ? "lower" : "both") : "", c.expect > 0 ? "positive" : c.expect < 0 ? "negative" : "", c.points ? "yes" : "no", verdict_name(j.judgement.verdict), csv_text(j.judgement.reason));
  }
  return csv;
}

std::string claims_markdown(const std::vector<JudgedClaim>& judged, Scale scale) {
  if (judged.empty()) return "";
  std::string md = "\n## Claims\n\n";
  md += scale == Scale::Smoke
            ? "Smoke scale: the effects are computed (pipeline check) but not judged.\n\n"
            : "Judged by the fixed rules of experiments/README.md (\"Claims\"): **reproduced** = same sign and 0.5–2× the "
              "paper's effect (\"within x\" claims: |ours| ≤ x); **direction only** = same sign; **inconclusive** = "
              "smaller than the spread over seeds, or one seed where the claim and our effect are both under 2 accuracy points; **not run** = a row "
              "is missing or diverged; **not reproduced** otherwise. Machine-readable: claims.csv.\n\n";
  md += "| claim | effect | ours | paper | verdict | why |\n|---|---|---|---|---|---|\n";
  for (const auto& j : judged) {
    const Claim& c = *j.claim;
    std::string ours = num(j.judgement.ours);
    if (j.judgement.spread) ours += " ± " + fmt::format("{:.4f}", *j.judgement.spread);
    std::string paper = num(c.paper);
    if (c.within) paper += fmt::format(c.lower_only ? " (claim: at most {} below)" : " (claim: within ±{})", *c.within);
    if (c.expect) paper = c.expect > 0 ? "> 0 (no number stated)" : "< 0 (no number stated)";
    md += fmt::format("| {} (`{}`) | `{}` | {} | {} | **{}** | {} |\n", c.label, c.id, c.effect_text, ours, paper,
                      verdict_name(j.judgement.verdict), j.judgement.reason);
  }
  return md;
}

std::string write_verdicts(const std::string& dir, const ExperimentSpec& e, const std::vector<JudgedClaim>& judged,
                           Scale scale, const std::string& how) {
  if (judged.empty()) return "";
  make_dirs(dir);
  write_file_atomic(dir + "/claims.csv", claims_csv(judged));
  std::string section = claims_markdown(judged, scale);
  if (!how.empty()) section.insert(section.find("\n\n", 2) + 2, how + "\n\n");
  section += plot_claims(dir, e.id, judged);
  const std::string table = dir + "/table.md";
  std::string md;
  if (fs::is_regular_file(table)) {
    std::stringstream ss;
    ss << std::ifstream(table).rdbuf();
    md = ss.str();
    const auto at = md.find("\n## Claims\n");
    if (at != std::string::npos) md.erase(at);
    while (!md.empty() && md.back() == '\n') md.pop_back();
    md += "\n";
  }
  write_file_atomic(table, md + section);
  return section;
}

}  // namespace ax::experiment
