#include "axtrain/experiment/claims.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "axtrain/config/section.h"

namespace ax::experiment {
namespace {

// expr := term (('+' | '-') term)* ; term := factor (('*' | '/') factor)* ;
// factor := number | '[' row ']' | '(' expr ')' | '-' factor
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}
  Expr all() {
    Expr e = expr();
    skip();
    if (at_ < s_.size()) fail("an operator (+ - * /) or the end");
    return e;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    throw std::invalid_argument(fmt::format("at character {} ('{}'): expected {}", at_ + 1,
                                            at_ < s_.size() ? s_.substr(at_, 12) : std::string("end"), expected));
  }
  void skip() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }
  bool eat(char ch) {
    skip();
    if (at_ < s_.size() && s_[at_] == ch) return ++at_, true;
    // the minus sign as people type it
    if (ch == '-' && s_.compare(at_, 3, "\xE2\x88\x92") == 0) return at_ += 3, true;
    return false;
  }
  static Expr node(Expr::Kind k, Expr a, Expr b) {
    Expr e;
    e.kind = k;
    e.args = {std::move(a), std::move(b)};
    return e;
  }
  Expr expr() {
    Expr e = term();
    while (true) {
      if (eat('+')) e = node(Expr::Kind::Add, std::move(e), term());
      else if (eat('-')) e = node(Expr::Kind::Sub, std::move(e), term());
      else return e;
    }
  }
  Expr term() {
    Expr e = factor();
    while (true) {
      if (eat('*')) e = node(Expr::Kind::Mul, std::move(e), factor());
      else if (eat('/')) e = node(Expr::Kind::Div, std::move(e), factor());
      else return e;
    }
  }
  Expr factor() {
    Expr e;
    if (eat('-')) {
      e.kind = Expr::Kind::Neg;
      e.args = {factor()};
      return e;
    }
    if (eat('(')) {
      e = expr();
      if (!eat(')')) fail("')'");
      return e;
    }
    if (eat('[')) {
      const std::size_t end = s_.find(']', at_);
      if (end == std::string::npos || end == at_) fail("a row id and ']'");
      std::string id = s_.substr(at_, end - at_);
      at_ = end + 1;
      if (id.rfind("summary:", 0) == 0) {
        std::string rest = id.substr(8);
        rest.erase(0, rest.find_first_not_of(' '));
        id = "summary: " + rest;
      }
      e.kind = Expr::Kind::Ref;
      e.ref = id;
      return e;
    }
    skip();
    const char* begin = s_.c_str() + at_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin || (!std::isdigit(static_cast<unsigned char>(*begin)) && *begin != '.'))
      fail("a number, '[row]', '(' or '-'");
    at_ += static_cast<std::size_t>(end - begin);
    e.number = v;
    return e;
  }

  const std::string& s_;
  std::size_t at_ = 0;
};

void collect(const Expr& e, std::vector<std::string>& out, std::set<std::string>& seen) {
  if (e.kind == Expr::Kind::Ref && seen.insert(e.ref).second) out.push_back(e.ref);
  for (const auto& a : e.args) collect(a, out, seen);
}

constexpr double kEps = 1e-9;  // the rule boundaries are inclusive up to rounding

}  // namespace

Expr parse_effect(const std::string& text) { return Parser(text).all(); }

std::vector<std::string> refs_of(const Expr& e) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  collect(e, out, seen);
  return out;
}

double evaluate(const Expr& e, const std::function<double(const std::string&)>& value) {
  switch (e.kind) {
    case Expr::Kind::Number: return e.number;
    case Expr::Kind::Ref: return value(e.ref);
    case Expr::Kind::Neg: return -evaluate(e.args[0], value);
    case Expr::Kind::Add: return evaluate(e.args[0], value) + evaluate(e.args[1], value);
    case Expr::Kind::Sub: return evaluate(e.args[0], value) - evaluate(e.args[1], value);
    case Expr::Kind::Mul: return evaluate(e.args[0], value) * evaluate(e.args[1], value);
    case Expr::Kind::Div: return evaluate(e.args[0], value) / evaluate(e.args[1], value);
  }
  return NAN;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Reproduced: return "reproduced";
    case Verdict::DirectionOnly: return "direction only";
    case Verdict::Inconclusive: return "inconclusive";
    case Verdict::NotReproduced: return "not reproduced";
    case Verdict::NotRun: return "not run";
    case Verdict::NotJudged: return "not judged";
  }
  return "?";
}

Judgement judge(const Claim& c, const std::map<std::string, RowValue>& rows, bool smoke) {
  Judgement j;
  const std::vector<std::string> refs = refs_of(c.effect);
  std::map<std::string, double> x;
  std::int64_t seeds = 1 << 30;
  for (const auto& r : refs) {
    auto it = rows.find(r);
    if (it == rows.end() || !it->second.mean) {
      j.reason = fmt::format("no result for {}", r);
      return j;
    }
    if (!std::isfinite(*it->second.mean)) {
      j.reason = fmt::format("{} diverged ({})", r, *it->second.mean);
      return j;
    }
    x[r] = *it->second.mean;
    seeds = std::min(seeds, it->second.seeds);
  }
  auto f = [&](const std::map<std::string, double>& v) { return evaluate(c.effect, [&](const std::string& r) { return v.at(r); }); };
  const double ours = f(x);
  j.ours = ours;
  if (!std::isfinite(ours)) {
    j.reason = "the effect is not a finite number (a division by zero?)";
    return j;
  }
  double ss = 0;
  bool any = false;
  for (const auto& r : refs) {
    const RowValue& v = rows.at(r);
    if (!v.std || v.seeds < 2) continue;
    auto moved = x;
    moved[r] += *v.std;
    const double d = f(moved) - ours;
    ss += d * d;
    any = true;
  }
  if (any) j.spread = std::sqrt(ss);
  if (smoke) {
    j.verdict = Verdict::NotJudged;
    j.reason = "smoke scale: pipeline only";
    return j;
  }
  const double a = std::abs(ours);
  const std::optional<double> size = c.within ? c.within : c.paper ? std::optional<double>(std::abs(*c.paper)) : std::nullopt;
  if (c.points && size && *size < 0.02 - kEps && seeds < 2 && a < 0.02 - kEps) {
    j.verdict = Verdict::Inconclusive;
    j.reason = "one seed, and the claim and our effect both under 2 points (G-09 asks for ≥ 2 seeds)";
    return j;
  }
  if (c.within) {
    const double dist = c.lower_only ? std::max(0.0, -ours) : std::abs(ours);
    if (dist <= *c.within + kEps) {
      j.verdict = Verdict::Reproduced;
      j.reason = fmt::format(c.lower_only ? "ours ≥ −{}" : "|ours| ≤ {}", *c.within);
    } else if (j.spread && dist - *j.spread <= *c.within + kEps) {
      j.verdict = Verdict::Inconclusive;
      j.reason = fmt::format("beyond {} by less than the spread over seeds", *c.within);
    } else {
      j.verdict = Verdict::NotReproduced;
      j.reason = fmt::format(c.lower_only ? "ours < −{}" : "|ours| > {}", *c.within);
    }
    return j;
  }
  if (j.spread && a < *j.spread) {
    j.verdict = Verdict::Inconclusive;
    j.reason = "the effect is smaller than its spread over seeds";
    return j;
  }
  if (!c.paper) {
    const bool same = ours * c.expect > 0;
    j.verdict = same ? Verdict::Reproduced : Verdict::NotReproduced;
    j.reason = same ? "the direction the paper states (it gives no number)" : ours == 0 ? "no effect" : "opposite direction";
    return j;
  }
  const double p = *c.paper;
  if (ours * p > 0) {
    const double ratio = ours / p;
    const bool in = ratio >= 0.5 - kEps && ratio <= 2.0 + kEps;
    j.verdict = in ? Verdict::Reproduced : Verdict::DirectionOnly;
    j.reason = fmt::format("same sign, {:.2f}× the paper's{}", ratio, in ? "" : " (outside 0.5–2×)");
    return j;
  }
  j.verdict = Verdict::NotReproduced;
  j.reason = ours == 0 ? "no effect" : "opposite sign";
  return j;
}

std::vector<Claim> parse_claims(config::Section& root, const std::function<bool(const std::string&)>& is_row,
                                const std::function<std::optional<double>(const std::string&)>& paper_of,
                                const std::function<bool(const std::string&)>& is_accuracy) {
  std::vector<Claim> out;
  std::set<std::string> ids;
  for (auto& s : root.section_list("claims")) {
    Claim c;
    c.id = s.require_string("id");
    if (!ids.insert(c.id).second) s.fail("id", fmt::format("duplicate claim id '{}'", c.id));
    c.label = s.get_string("label", c.id);
    c.effect_text = s.require_string("effect");
    try {
      c.effect = parse_effect(c.effect_text);
    } catch (const std::invalid_argument& e) {
      s.fail("effect", fmt::format("'{}': {} (syntax: + - * / ( ) numbers, [cell id], [summary:id])", c.effect_text, e.what()));
    }
    const std::vector<std::string> refs = refs_of(c.effect);
    if (refs.empty()) s.fail("effect", fmt::format("'{}' reads no row ([cell id] or [summary:id])", c.effect_text));
    c.points = true;
    for (const auto& r : refs) {
      if (!is_row(r)) s.fail("effect", fmt::format("'{}': no row '{}' (a cell id, or summary:<id>)", c.effect_text, r));
      c.points = c.points && is_accuracy(r);
    }
    if (s.has("within")) c.within = s.get_double("within", 0.0, 0.0, 1e300);
    c.lower_only = s.get_choice<bool>("side", false, {{"both", false}, {"lower", true}});
    if (c.lower_only && !c.within) s.fail("side", "only for a `within` claim");
    c.expect = s.get_choice<int>("expect", 0, {{"positive", 1}, {"negative", -1}});
    if (s.has("paper")) {
      c.paper = s.require_double("paper", -1e300, 1e300);
    } else {
      std::string lacking;
      for (const auto& r : refs)
        if (!paper_of(r)) lacking += (lacking.empty() ? "" : ", ") + r;
      if (lacking.empty() && !c.expect) c.paper = evaluate(c.effect, [&](const std::string& r) { return *paper_of(r); });
      else if (!c.within && !c.expect)
        s.fail("effect", fmt::format("the paper's effect cannot be derived: no paper number for {}; give `paper:`", lacking));
    }
    if (!c.within && !c.expect && (!c.paper || *c.paper == 0))
      s.fail("paper", "a relation claim needs a non-zero paper effect (its sign and size); use `within: x` for 'no difference' claims");
    if (c.expect && (c.within || s.has("paper")))
      s.fail("expect", "only for a direction without a number: not with `paper` or `within`");
    s.finish();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ax::experiment
