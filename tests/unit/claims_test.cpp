// Claims and their verdicts (lib/axtrain/experiment/claims.h, verdicts.h): the effect
// expressions, the fixed verdict rules on planted numbers (the 0.5× and 2× boundaries, a sign
// flip, the spread over seeds, a missing or diverged cell, "within x" claims, G-09's seeds rule),
// the file format's errors, `experiment verdicts` on a planted table.csv, and the README's
// "What we reproduce" against the committed claims.csv files.
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/experiment/spec.h"
#include "axtrain/experiment/verdicts.h"
#include "test_util.h"

namespace fs = boost::filesystem;

namespace ax {
namespace {

using experiment::Claim;
using experiment::RowValue;
using experiment::Verdict;

Claim relation(const std::string& effect, double paper, bool points = true) {
  Claim c;
  c.id = "c";
  c.effect_text = effect;
  c.effect = experiment::parse_effect(effect);
  c.paper = paper;
  c.points = points;
  return c;
}

RowValue value(double mean, std::int64_t seeds = 2, std::optional<double> std = std::nullopt) {
  RowValue v;
  v.mean = mean;
  v.seeds = seeds;
  v.std = std;
  return v;
}

Verdict verdict(const Claim& c, const std::map<std::string, RowValue>& rows) { return experiment::judge(c, rows, false).verdict; }

TEST(Claims, EffectExpressionsParseAndEvaluate) {
  const auto e = experiment::parse_effect("([a/b] - [c]) / [summary:s] * 2 + -1");
  EXPECT_EQ(experiment::refs_of(e), (std::vector<std::string>{"a/b", "c", "summary: s"}));
  const std::map<std::string, double> v{{"a/b", 0.9}, {"c", 0.5}, {"summary: s", 0.2}};
  EXPECT_NEAR(experiment::evaluate(e, [&](const std::string& r) { return v.at(r); }), (0.9 - 0.5) / 0.2 * 2 - 1, 1e-12);
  // the typographic minus sign reads as '-'
  const auto u = experiment::parse_effect("[a] \xE2\x88\x92 [b]");
  EXPECT_DOUBLE_EQ(experiment::evaluate(u, [](const std::string& r) { return r == "a" ? 3.0 : 1.0; }), 2.0);
  for (const char* bad : {"[a] -", "[a] [b]", "[]", "[a", "(1 + [a]", "x"}) EXPECT_THROW(experiment::parse_effect(bad), std::invalid_argument) << bad;
}

TEST(Claims, RelationRulesAtTheBoundaries) {
  const Claim c = relation("[a] - [b]", 0.4);  // the paper's effect: +0.4
  auto with = [](double a) { return std::map<std::string, RowValue>{{"a", value(a)}, {"b", value(0.0)}}; };
  EXPECT_EQ(verdict(c, with(0.2)), Verdict::Reproduced);   // 0.5× exactly
  EXPECT_EQ(verdict(c, with(0.8)), Verdict::Reproduced);   // 2× exactly
  EXPECT_EQ(verdict(c, with(0.4)), Verdict::Reproduced);
  EXPECT_EQ(verdict(c, with(0.199)), Verdict::DirectionOnly);
  EXPECT_EQ(verdict(c, with(0.801)), Verdict::DirectionOnly);
  EXPECT_EQ(verdict(c, with(-0.3)), Verdict::NotReproduced);  // sign flip
  EXPECT_EQ(verdict(c, with(0.0)), Verdict::NotReproduced);
  // rounding does not move a boundary: 0.7 − 0.5 is 0.19999999999999996 in binary
  const auto r = experiment::judge(relation("[a] - [b]", 0.4), {{"a", value(0.7)}, {"b", value(0.5)}}, false);
  EXPECT_NEAR(*r.ours, 0.2, 1e-12);
  EXPECT_EQ(r.verdict, Verdict::Reproduced);
  // a negative paper effect: same rules on the magnitudes
  const Claim neg = relation("[a] - [b]", -0.1);
  EXPECT_EQ(verdict(neg, {{"a", value(0.0)}, {"b", value(0.15)}}), Verdict::Reproduced);
  EXPECT_EQ(verdict(neg, {{"a", value(0.0)}, {"b", value(0.25)}}), Verdict::DirectionOnly);
  EXPECT_EQ(verdict(neg, {{"a", value(0.15)}, {"b", value(0.0)}}), Verdict::NotReproduced);
}

TEST(Claims, SpreadIsPropagatedFromTheRowsStd) {
  // a: 0.60 ± 0.03 over 3 seeds, b: 0.50 ± 0.04 → spread √(0.03² + 0.04²) = 0.05 (first order, exact for a difference)
  const auto j = experiment::judge(relation("[a] - [b]", 0.1), {{"a", value(0.60, 3, 0.03)}, {"b", value(0.50, 3, 0.04)}}, false);
  ASSERT_TRUE(j.spread.has_value());
  EXPECT_NEAR(*j.spread, 0.05, 1e-12);
  EXPECT_EQ(j.verdict, Verdict::Reproduced);  // 0.10 > 0.05
  // a row on one seed contributes no spread
  const auto k = experiment::judge(relation("[a] - [b]", 0.1), {{"a", value(0.60, 1, 0.03)}, {"b", value(0.50, 1)}}, false);
  EXPECT_FALSE(k.spread.has_value());
}

TEST(Claims, SpreadLargerThanTheEffect) {
  const Claim c = relation("[a] - [b]", 0.05);
  EXPECT_EQ(verdict(c, {{"a", value(0.54, 3, 0.03)}, {"b", value(0.50, 3, 0.04)}}), Verdict::Inconclusive);  // 0.04 < 0.05
  EXPECT_EQ(verdict(c, {{"a", value(0.56, 3, 0.03)}, {"b", value(0.50, 3, 0.04)}}), Verdict::Reproduced);    // 0.06 > 0.05
  // a ratio: the spread is propagated through the division (f(a + σ) − f(a))
  const auto j = experiment::judge(relation("[a] / [b]", 2.0, false), {{"a", value(4.0, 2, 1.0)}, {"b", value(2.0, 1)}}, false);
  EXPECT_NEAR(*j.spread, 0.5, 1e-12);
  EXPECT_EQ(j.verdict, Verdict::Reproduced);
}

TEST(Claims, MissingOrDivergedCellsAreNotRun) {
  const Claim c = relation("[a] - [b]", 0.4);
  EXPECT_EQ(verdict(c, {{"a", value(0.5)}}), Verdict::NotRun);
  RowValue none;  // a row without a number (the cell's runs are missing)
  EXPECT_EQ(verdict(c, {{"a", value(0.5)}, {"b", none}}), Verdict::NotRun);
  const auto j = experiment::judge(c, {{"a", value(0.5)}, {"b", value(NAN)}}, false);
  EXPECT_EQ(j.verdict, Verdict::NotRun);
  EXPECT_NE(j.reason.find("diverged"), std::string::npos);
  EXPECT_EQ(experiment::judge(c, {{"a", value(0.5)}, {"b", value(0.1)}}, true).verdict, Verdict::NotJudged);  // smoke
}

TEST(Claims, WithinClaimsAndTheSeedsRule) {
  Claim w = relation("[a] - [b]", 0.009);
  w.within = 0.01;
  EXPECT_EQ(verdict(w, {{"a", value(0.705)}, {"b", value(0.70)}}), Verdict::Reproduced);
  EXPECT_EQ(verdict(w, {{"a", value(0.69)}, {"b", value(0.70)}}), Verdict::Reproduced);  // |−0.01| ≤ 0.01
  EXPECT_EQ(verdict(w, {{"a", value(0.73)}, {"b", value(0.70)}}), Verdict::NotReproduced);
  // 0.015 over the bound by less than the spread 0.01 → inconclusive
  EXPECT_EQ(verdict(w, {{"a", value(0.715, 2, 0.01)}, {"b", value(0.70)}}), Verdict::Inconclusive);
  // G-09: an accuracy claim under 2 points on one seed cannot be judged when our effect is as small
  EXPECT_EQ(verdict(w, {{"a", value(0.705, 1)}, {"b", value(0.70, 1)}}), Verdict::Inconclusive);
  const Claim small = relation("[a] - [b]", 0.015);
  EXPECT_EQ(verdict(small, {{"a", value(0.715, 1)}, {"b", value(0.70, 1)}}), Verdict::Inconclusive);
  EXPECT_EQ(verdict(small, {{"a", value(0.715, 2)}, {"b", value(0.70, 2)}}), Verdict::Reproduced);
  // ... but one seed suffices for an effect far beyond 2 points
  EXPECT_EQ(verdict(w, {{"a", value(0.60, 1)}, {"b", value(0.70, 1)}}), Verdict::NotReproduced);
  EXPECT_EQ(verdict(small, {{"a", value(0.75, 1)}, {"b", value(0.70, 1)}}), Verdict::DirectionOnly);  // 5 points, 3.3×
  const Claim large = relation("[a] - [b]", 0.2);  // 20 points: one seed is enough
  EXPECT_EQ(verdict(large, {{"a", value(0.9, 1)}, {"b", value(0.7, 1)}}), Verdict::Reproduced);
  Claim ratio = relation("[a] - [b]", 0.015, false);  // not an accuracy: the seeds rule does not apply
  EXPECT_EQ(verdict(ratio, {{"a", value(0.715, 1)}, {"b", value(0.70, 1)}}), Verdict::Reproduced);
  Claim dir = relation("[a] - [b]", 1.0);
  dir.paper.reset();
  dir.expect = -1;
  EXPECT_EQ(verdict(dir, {{"a", value(0.1)}, {"b", value(0.5)}}), Verdict::Reproduced);
  EXPECT_EQ(verdict(dir, {{"a", value(0.5)}, {"b", value(0.1)}}), Verdict::NotReproduced);
}

TEST(Claims, ParseClaimsFromASection) {
  YAML::Node n = YAML::Load("claims:\n  - {id: d, effect: \"[a] - [b]\"}\n  - {id: w, effect: \"[a] - [b]\", within: 0.01, side: lower}\n");
  config::Section root({{n, "<t>"}}, "");
  auto c = experiment::parse_claims(root, [](const std::string& r) { return r == "a" || r == "b"; },
      [](const std::string& r) -> std::optional<double> { return r == "a" ? 0.7 : 0.2; }, [](const std::string&) { return true; });
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NEAR(*c[0].paper, 0.5, 1e-12);
  EXPECT_TRUE(c[1].lower_only);
  EXPECT_EQ(verdict(c[1], {{"a", value(0.60)}, {"b", value(0.70)}}), Verdict::NotReproduced);  // 10 points below
  EXPECT_EQ(verdict(c[1], {{"a", value(0.90)}, {"b", value(0.70)}}), Verdict::Reproduced);     // above: fine, one-sided
}

std::string write_planted(const std::string& dir, const std::string& claims) {
  fs::create_directories(dir + "/experiments/planted");
  std::ofstream(dir + "/experiments/planted/experiment.yaml")
      << "id: planted\ntitle: t\nscales: {smoke: {}, full: {}}\ncells:\n"
         "  - {id: int8, config: x.yaml}\n"
         "  - {id: sc/io, checkpoint_of: int8, eval: {}, paper: 0.15}\n"
         "  - {id: sc/wm, config: x.yaml, paper: 0.72}\n"
         "  - {id: sc/ft, config: x.yaml, paper: 0.73}\n"
         "  - {id: t/fp, config: x.yaml, metric: train_s_per_epoch}\n"
         "summaries:\n  - {id: s, op: mean, cells: \"sc/*\", paper: 0.5}\n"
      << claims;
  return dir + "/experiments/planted/experiment.yaml";
}

std::string load_error(const std::string& dir, const std::string& claims) {
  try {
    experiment::load_experiment(write_planted(dir, claims));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Claims, TheFileDeclaresThemAndBadOnesAreNamed) {
  const std::string dir = test::temp_dir("claims-file");
  const auto e = experiment::load_experiment(write_planted(
      dir, "claims:\n  - for: {hw: [sc]}\n    id: \"{hw}-drop\"\n    effect: \"[{hw}/wm] - [{hw}/io]\"\n"
           "  - {id: ft, effect: \"[sc/ft] - [sc/wm]\", within: 0.01}\n"
           "  - {id: sum, effect: \"[summary:s] - 0.1\", paper: 0.3}\n"
           "  - {id: dir, effect: \"[t/fp] - 1\", expect: negative}\n"));
  ASSERT_EQ(e.claims.size(), 4u);
  EXPECT_EQ(e.claims[0].id, "sc-drop");
  EXPECT_NEAR(*e.claims[0].paper, 0.72 - 0.15, 1e-12);  // derived from the cells' paper numbers
  EXPECT_TRUE(e.claims[0].points);
  EXPECT_NEAR(*e.claims[1].paper, 0.01, 1e-12);
  EXPECT_EQ(*e.claims[1].within, 0.01);
  EXPECT_FALSE(e.claims[2].points);  // a summary is not a plain accuracy cell
  EXPECT_EQ(e.claims[3].expect, -1);
  EXPECT_FALSE(e.claims[3].points);
  // errors name the key, the value and what is allowed
  std::string m = load_error(dir, "claims:\n  - {id: x, effect: \"[sc/nope] - [sc/io]\"}\n");
  EXPECT_NE(m.find("effect"), std::string::npos) << m;
  EXPECT_NE(m.find("sc/nope"), std::string::npos) << m;
  m = load_error(dir, "claims:\n  - {id: x, effect: \"[sc/wm] -\"}\n");
  EXPECT_NE(m.find("syntax"), std::string::npos) << m;
  m = load_error(dir, "claims:\n  - {id: x, effect: \"[int8] - [sc/io]\"}\n");  // int8 has no paper number
  EXPECT_NE(m.find("int8"), std::string::npos) << m;
  EXPECT_NE(m.find("paper"), std::string::npos) << m;
  m = load_error(dir, "claims:\n  - {id: x, effect: \"[sc/wm] - [sc/wm]\"}\n");  // a zero paper effect
  EXPECT_NE(m.find("within"), std::string::npos) << m;
  m = load_error(dir, "claims:\n  - {id: x, effect: \"[sc/wm]\", colour: red}\n");
  EXPECT_NE(m.find("colour"), std::string::npos) << m;
  m = load_error(dir, "claims:\n  - {id: x, effect: \"[sc/wm]\", expect: up}\n");
  EXPECT_NE(m.find("positive"), std::string::npos) << m;
}

std::map<std::string, std::vector<std::string>> read_claims(const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    bool q = false;
    for (char ch : line) {
      if (ch == '"') q = !q;
      else if (ch == ',' && !q) f.push_back(cell), cell.clear();
      else cell += ch;
    }
    f.push_back(cell);
    out[f[0]] = f;
  }
  return out;
}

TEST(Claims, VerdictsOfAPlantedTable) {
  const std::string dir = test::temp_dir("claims-cli");
  write_planted(dir, "claims:\n  - {id: drop, effect: \"[sc/wm] - [sc/io]\"}\n"            // paper 0.57
                     "  - {id: ft, effect: \"[sc/ft] - [sc/wm]\", within: 0.01}\n"
                     "  - {id: flip, effect: \"[sc/io] - [int8]\", paper: 0.1}\n"
                     "  - {id: gone, effect: \"[t/fp] - 1\", paper: 1}\n");
  fs::create_directories(dir + "/results/planted/full");
  std::ofstream(dir + "/results/planted/full/table.csv")
      << "cell,label,ours,ours_std,seeds,paper,difference,within_tolerance\n"
         "\"int8\",\"int8\",0.80,0.01,2,,,\n"
         "\"sc/io\",\"SC, Inference Only\",0.20,0.01,2,0.15,0.05,no\n"
         "\"sc/wm\",\"with, model\",0.70,0.01,2,0.72,-0.02,yes\n"
         "\"sc/ft\",\"sc/ft\",0.705,0.002,2,0.73,,\n"
         "\"t/fp\",\"t/fp\",,,0,,,\n"
         "\"summary: s\",\"s\",0.5,,2,0.5,0,yes\n";
  std::ofstream(dir + "/results/planted/full/table.md") << "# planted\n\n| cell |\n";
  const std::string common = " --experiments " + dir + "/experiments --results " + dir + "/results";
  test::CliResult r = test::run_cli("experiment verdicts planted --scale full" + common);
  ASSERT_EQ(r.code, 0) << r.out;
  auto c = read_claims(dir + "/results/planted/full/claims.csv");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c["drop"][10], "reproduced");  // 0.50 vs 0.57
  EXPECT_NEAR(std::stod(c["drop"][3]), 0.50, 1e-12);
  EXPECT_NEAR(std::stod(c["drop"][5]), 0.57, 1e-12);
  EXPECT_EQ(c["ft"][10], "reproduced");  // 0.005 ≤ 0.01, two seeds
  EXPECT_EQ(c["flip"][10], "not reproduced");  // −0.6 against +0.1
  EXPECT_EQ(c["gone"][10], "not run");
  // table.md keeps its table and gains the section once, however often it is judged
  ASSERT_EQ(test::run_cli("experiment verdicts planted --scale full" + common).code, 0);
  std::stringstream md;
  md << std::ifstream(dir + "/results/planted/full/table.md").rdbuf();
  EXPECT_EQ(md.str().rfind("# planted", 0), 0u);
  EXPECT_EQ(md.str().find("## Claims"), md.str().rfind("## Claims"));
  EXPECT_NE(md.str().find("| **reproduced** |"), std::string::npos) << md.str();
  // no table: exit 2 naming the file
  r = test::run_cli("experiment verdicts planted --scale smoke" + common);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("table.csv"), std::string::npos) << r.out;
}

// The README's "What we reproduce": every row that cites a claims.csv states that file's verdict,
// and every claim of a committed claims.csv has its row.
TEST(Claims, ReadmeMatchesTheCommittedVerdicts) {
  std::ifstream readme(test::source_dir() + "/README.md");
  ASSERT_TRUE(readme.good());
  std::string line;
  const std::regex cite(R"(\[`([A-Za-z0-9_.-]+)#([A-Za-z0-9_.-]+)`\]\((results/[A-Za-z0-9_.-]+/[a-z]+/claims\.csv)\))");
  std::map<std::string, std::set<std::string>> cited;  // file → claims
  int rows = 0;
  while (std::getline(readme, line)) {
    std::smatch m;
    if (line.rfind("|", 0) != 0 || !std::regex_search(line, m, cite)) continue;
    ++rows;
    const std::string file = m[3].str(), claim = m[2].str();
    auto committed = read_claims(test::source_dir() + "/" + file);
    ASSERT_TRUE(committed.count(claim)) << file << " has no claim " << claim;
    const std::string verdict = committed[claim][10];
    EXPECT_NE(line.find("| " + verdict + " |"), std::string::npos) << "README says otherwise than " << file << " (" << verdict << "): " << line;
    cited[file].insert(claim);
  }
  EXPECT_GT(rows, 0);
  for (const auto& [file, claims] : cited)
    for (const auto& [claim, f] : read_claims(test::source_dir() + "/" + file))
      EXPECT_TRUE(claims.count(claim)) << claim << " of " << file << " has no row in the README";
  // every claims.csv under results/ is cited (smoke tables are never committed: skipped)
  for (const auto& d : fs::directory_iterator(test::source_dir() + "/results")) {
    if (!fs::is_directory(d.path())) continue;
    for (const auto& s : fs::directory_iterator(d.path()))
      if (fs::is_directory(s.path()) && s.path().filename() != "smoke" && fs::is_regular_file(s.path() / "claims.csv")) {
        const std::string rel = "results/" + d.path().filename().string() + "/" + s.path().filename().string() + "/claims.csv";
        EXPECT_TRUE(cited.count(rel)) << rel << " is not cited in the README";
      }
  }
}

}  // namespace
}  // namespace ax
