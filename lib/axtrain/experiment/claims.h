// Claims: the papers' results as relations between an experiment's rows, judged by fixed rules.
// An experiment.yaml declares them next to its cells (experiments/README.md, "Claims"):
//
//   claims:
//     - id: tc-sc-drop
//       label: "TinyConv, SC: With Model − Inference Only"
//       effect: "[tc/sc/with_model] - [tc/sc/inference_only]"   # + - * / ( ) numbers, [cell], [summary:id]
//       paper: 0.5731            # optional: by default the same expression over the rows' paper numbers
//       within: 0.01             # optional: a "within x" claim (|effect| ≤ x) instead of a relation
//       side: lower              # with within: only a loss counts (effect ≥ −x, "at most x below")
//       expect: positive         # only where the paper states a direction and no number
//
// The verdict rules (written down before any result was read; issue 17), in this order:
//   not run        a row of the expression has no number (missing cell or diverged run)
//   not judged     smoke scale (pipeline only)
//   inconclusive   relation: |ours| < the spread over seeds; "within x": |ours| > x but within x + spread;
//                  either: one seed for an accuracy claim under 2 points whose effect is also
//                  under 2 points (one seed cannot tell it from noise; G-09 asks for ≥ 2 seeds)
//   reproduced     relation: same sign as the paper's and ours/paper in [0.5, 2]; within: |ours| ≤ x;
//                  a direction the paper states without a number (`expect`): the same sign
//   direction only relation: same sign, magnitude outside [0.5, 2]× the paper's
//   not reproduced otherwise
// The spread is the first-order propagation of the rows' standard deviations over seeds through
// the expression (√Σ (f(x + σ_i e_i) − f(x))²); a row measured on one seed contributes none.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ax::config {
class Section;
}

namespace ax::experiment {

// The effect expression, parsed once when the experiment is loaded.
struct Expr {
  enum class Kind { Number, Ref, Neg, Add, Sub, Mul, Div };
  Kind kind = Kind::Number;
  double number = 0;
  std::string ref;  // a row id: a cell id, or "summary: <id>" for [summary:<id>]
  std::vector<Expr> args;
};

// Throws std::invalid_argument naming the position and what was expected.
Expr parse_effect(const std::string& text);
// The row ids the expression reads, in order of appearance, without repeats.
std::vector<std::string> refs_of(const Expr& e);
double evaluate(const Expr& e, const std::function<double(const std::string&)>& value);

struct Claim {
  std::string id, label, effect_text;
  Expr effect;
  std::optional<double> paper;   // the paper's effect (absent only for "within" claims without one)
  std::optional<double> within;  // "within x" claim
  bool lower_only = false;       // "within x" one-sided: effect ≥ −x
  int expect = 0;                // +1 / −1: a direction stated without a number (paper absent)
  bool points = false;           // an accuracy difference (every row a plain test-accuracy cell)
};

enum class Verdict { Reproduced, DirectionOnly, Inconclusive, NotReproduced, NotRun, NotJudged };
const char* verdict_name(Verdict v);

// One row of the table, as the claims see it.
struct RowValue {
  std::optional<double> mean, std;  // std over seeds (absent with one seed)
  std::int64_t seeds = 0;           // runs behind the mean
};

struct Judgement {
  std::optional<double> ours, spread;
  Verdict verdict = Verdict::NotRun;
  std::string reason;
};

Judgement judge(const Claim& c, const std::map<std::string, RowValue>& rows, bool smoke);

// Reads `claims:` (after `for:` expansion by the caller). `paper_of(row)` gives a row's paper
// number for the default paper effect, `is_row(row)` whether a row exists, `is_accuracy(row)`
// whether it is a plain test-accuracy cell.
std::vector<Claim> parse_claims(config::Section& root, const std::function<bool(const std::string&)>& is_row,
                                const std::function<std::optional<double>(const std::string&)>& paper_of,
                                const std::function<bool(const std::string&)>& is_accuracy);

}  // namespace ax::experiment
