#include "axtrain/experiment/spec.h"

#include <algorithm>
#include <regex>
#include <set>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/text.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

const std::vector<std::pair<std::string, Scale>> kScales{
    {"smoke", Scale::Smoke}, {"reduced", Scale::Reduced}, {"cpu", Scale::Cpu}, {"full", Scale::Full}};
const std::vector<std::pair<std::string, Metric>> kMetrics{
    {"test_accuracy", Metric::TestAccuracy},
    {"test_accuracy_std", Metric::TestAccuracyStd},
    {"test_loss", Metric::TestLoss},
    {"train_s_per_epoch", Metric::TrainSecondsPerEpoch},
    {"calibration_s_per_epoch", Metric::CalibrationSecondsPerEpoch},
    {"peak_rss_bytes", Metric::PeakRssBytes},
    {"wall_seconds", Metric::WallSeconds},
    {"relative_compute_power", Metric::RelativeComputePower},
    {"relative_storage_power", Metric::RelativeStoragePower},
    {"approx_multiplier_fraction", Metric::ApproxMultiplierFraction},
    {"output_deviation", Metric::OutputDeviation}};

// Replaces {name} in every scalar of n by its value.
YAML::Node substitute(const YAML::Node& n, const std::map<std::string, std::string>& vars) {
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    for (const auto& [k, v] : vars) {
      const std::string key = "{" + k + "}";
      for (std::size_t at; (at = s.find(key)) != std::string::npos;) s.replace(at, key.size(), v);
    }
    return YAML::Node(s);
  }
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& e : n) out.push_back(substitute(e, vars));
    return out;
  }
  if (n.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& kv : n) out[kv.first.Scalar()] = substitute(kv.second, vars);
    return out;
  }
  return YAML::Clone(n);
}

// `for: {a: [1, 2], b: [x, y]}` → one cell per combination, in the order written (last key fastest).
YAML::Node expand_cells(const YAML::Node& cells, const std::string& file, const std::string& key = "cells") {
  YAML::Node out(YAML::NodeType::Sequence);
  if (!cells.IsDefined() || cells.IsNull()) return out;
  if (!cells.IsSequence()) throw ConfigError(fmt::format("{}: {}: expected a list", config::mark_text(cells, file), key));
  for (const auto& c : cells) {
    if (!c.IsMap() || !c["for"]) {
      out.push_back(c);
      continue;
    }
    const YAML::Node f = c["for"];
    if (!f.IsMap()) throw ConfigError(fmt::format("{}: {}.for: expected a mapping name → list of values", config::mark_text(f, file), key));
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    for (const auto& kv : f) {
      std::vector<std::string> values;
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        throw ConfigError(fmt::format("{}: {}.for.{}: expected a non-empty list", config::mark_text(kv.second, file), key, kv.first.Scalar()));
      for (const auto& v : kv.second) values.push_back(v.Scalar());
      axes.emplace_back(kv.first.Scalar(), values);
    }
    YAML::Node body(YAML::NodeType::Map);
    for (const auto& kv : c)
      if (kv.first.Scalar() != "for") body[kv.first.Scalar()] = kv.second;
    std::vector<std::size_t> at(axes.size(), 0);
    while (true) {
      std::map<std::string, std::string> vars;
      for (std::size_t i = 0; i < axes.size(); ++i) vars[axes[i].first] = axes[i].second[at[i]];
      out.push_back(substitute(body, vars));
      std::size_t i = axes.size();
      while (i > 0 && ++at[i - 1] == axes[i - 1].second.size()) at[--i] = 0;
      if (i == 0) break;
    }
  }
  return out;
}

std::optional<double> paper_value(config::Section& s) {
  if (!s.has("paper") || s.raw("paper").IsNull()) {
    s.mark("paper");
    return std::nullopt;
  }
  return s.require_double("paper", -1e300, 1e300);
}

EvalSpec parse_eval(config::Section s) {
  EvalSpec e;
  e.hardware = s.get_path("hardware", "");
  e.mode = s.get_choice<std::string>("mode", "", {{"ideal", "ideal"}, {"exact", "exact"}, {"proxy", "proxy"}});
  e.repeats = s.get_int("repeats", 0, 0, 100000);
  e.set = s.get_string_list("set", {});
  s.finish();
  return e;
}

}  // namespace

const char* scale_name(Scale s) {
  for (const auto& [n, v] : kScales)
    if (v == s) return n.c_str();
  return "?";
}

Scale parse_scale(const std::string& s) {
  for (const auto& [n, v] : kScales)
    if (n == s) return v;
  throw UsageError(fmt::format("unknown scale '{}' (allowed: smoke, reduced, cpu, full)", s));
}

const char* metric_name(Metric m) {
  for (const auto& [n, v] : kMetrics)
    if (v == m) return n.c_str();
  return "?";
}

namespace {
bool glob_at(const std::string& p, const std::string& s, std::size_t i, std::size_t j) {
  if (i == p.size()) return j == s.size();
  if (p[i] == '*') return glob_at(p, s, i + 1, j) || (j < s.size() && glob_at(p, s, i, j + 1));
  return j < s.size() && p[i] == s[j] && glob_at(p, s, i + 1, j + 1);
}
}  // namespace

bool glob_match(const std::string& pattern, const std::string& s) { return glob_at(pattern, s, 0, 0); }

const ScaleCells* ScaleSpec::for_cell(const std::string& id) const {
  for (const auto& c : cells)
    if (glob_match(c.match, id)) return &c;
  return nullptr;
}

bool DataNeed::present() const { return !path.empty() && fs::exists(path); }

const Cell& ExperimentSpec::cell(const std::string& cid) const {
  for (const auto& c : cells)
    if (c.id == cid) return c;
  throw UsageError(fmt::format("experiment {}: no cell '{}'", id, cid));
}

const ScaleSpec& ExperimentSpec::scale(Scale s) const {
  auto it = scales.find(s);
  if (it == scales.end()) throw ConfigError(fmt::format("{}: scales: no '{}' scale", file, scale_name(s)));
  return it->second;
}

ExperimentSpec load_experiment(const std::string& file) {
  YAML::Node doc = config::load_yaml_file(file);
  if (!doc.IsMap()) throw ConfigError(fmt::format("{}: expected a mapping (id, title, cells, ...)", file));
  doc["cells"] = expand_cells(doc["cells"], file);
  if (doc["claims"]) doc["claims"] = expand_cells(doc["claims"], file, "claims");
  config::Section root({{doc, file}}, "");
  ExperimentSpec e;
  e.file = file;
  e.id = root.require_string("id");
  const std::string folder = fs::path(file).parent_path().filename().string();
  if (folder != e.id && fs::path(file).filename() == "experiment.yaml")
    root.fail("id", fmt::format("'{}' differs from its folder name '{}'", e.id, folder));
  e.title = root.require_string("title");
  e.source = root.get_string("source", "");
  for (auto& d : root.section_list("data")) {
    DataNeed n;
    n.name = d.require_string("name");
    n.path = d.get_path("path", "");
    n.prepare = d.get_string("prepare", "");
    d.finish();
    e.data.push_back(n);
  }
  e.metric = root.get_choice("metric", Metric::TestAccuracy, kMetrics);
  e.tolerance = root.get_double("tolerance", 0.02, 0.0, 1e300);
  e.seeds = root.get_int("seeds", 1, 1, 1000);
  e.plot = root.get_choice<std::string>(
      "plot", "", {{"bars", "bars"}, {"curves", "curves"}, {"sweep", "sweep"}, {"error_profile", "error_profile"}});
  e.xlabel = root.get_string("xlabel", "");
  config::Section sc = root.section("scales");
  for (const auto& [name, s] : kScales) {
    if (!sc.has(name)) continue;
    config::Section one = sc.section(name);
    ScaleSpec spec;
    spec.epochs = one.get_double("epochs", 1.0, 1e-9, 1e6);
    spec.set = one.get_string_list("set", {});
    spec.note = one.get_string("note", "");
    for (auto& o : one.section_list("cells")) {
      ScaleCells c;
      c.match = o.require_string("match");
      if (o.has("epochs")) c.epochs = o.require_double("epochs", 1e-9, 1e6);
      c.set = o.get_string_list("set", {});
      o.finish();
      spec.cells.push_back(c);
    }
    one.finish();
    e.scales[s] = spec;
  }
  sc.finish();
  std::set<std::string> ids;
  for (auto& c : root.section_list("cells")) {
    Cell cell;
    cell.id = c.require_string("id");
    if (!std::regex_match(cell.id, std::regex("[A-Za-z0-9_./=,+-]+")))
      c.fail("id", "allowed characters: letters, digits and _ . / = , + -");
    if (!ids.insert(cell.id).second) c.fail("id", fmt::format("duplicate cell id '{}'", cell.id));
    cell.label = c.get_string("label", cell.id);
    cell.config = c.get_path("config", "");
    cell.set = c.get_string_list("set", {});
    cell.checkpoint_of = c.get_string("checkpoint_of", "");
    cell.init_of = c.get_string("init_of", "");
    cell.ranks = c.get_int("ranks", 1, 1, 256);
    for (const std::string* ref : {&cell.checkpoint_of, &cell.init_of})
      if (!ref->empty() && !ids.count(*ref))
        c.fail(ref == &cell.init_of ? "init_of" : "checkpoint_of",
               fmt::format("'{}' is not a cell defined above this one", *ref));
    if (cell.config.empty() == cell.checkpoint_of.empty())
      c.fail("config", "a cell either trains (config) or uses another cell's network (checkpoint_of), not both");
    if (cell.ranks > 1 && cell.config.empty()) c.fail("ranks", "applies to cells that train (config)");
    if (c.has("eval")) cell.eval = parse_eval(c.section("eval"));
    if (c.has("approxann")) {
      config::Section a = c.section("approxann");
      ApproxAnnSpec s;
      s.hardware = a.get_path("hardware", "");
      s.bound = a.get_double("bound", s.bound, 0.0, 1.0);
      s.step = a.get_double("step", s.step, 1e-9, 1.0);
      s.retrain_epochs = a.get_double("retrain_epochs", s.retrain_epochs, 0.0, 1000.0);
      a.finish();
      cell.approxann = s;
    }
    if (cell.eval && cell.approxann) c.fail("approxann", "a cell has either eval or approxann");
    if (!cell.checkpoint_of.empty() && !cell.eval && !cell.approxann)
      c.fail("checkpoint_of", "an evaluation-only cell needs eval or approxann");
    cell.metric = c.get_choice("metric", e.metric, kMetrics);
    cell.normalise_by = c.get_string("normalise_by", "");
    if (!cell.normalise_by.empty() && !ids.count(cell.normalise_by) && cell.normalise_by != cell.id) {
      // forward references are allowed; checked after all cells are read
    }
    cell.paper = paper_value(c);
    if (c.has("x")) cell.x = c.require_double("x", -1e300, 1e300);
    cell.series = c.get_string("series", "");
    c.finish();
    e.cells.push_back(cell);
  }
  for (const auto& c : e.cells)
    if (!c.normalise_by.empty() && !ids.count(c.normalise_by))
      throw ConfigError(fmt::format("{}: cell {}: normalise_by '{}' is not a cell", file, c.id, c.normalise_by));
  for (auto& s : root.section_list("summaries")) {
    Summary m;
    m.id = s.require_string("id");
    m.label = s.get_string("label", m.id);
    m.op = s.get_choice("op", Summary::Op::Mean,
                        {{"mean", Summary::Op::Mean},
                         {"mean_ratio", Summary::Op::MeanRatio},
                         {"one_minus_mean_ratio", Summary::Op::OneMinusMeanRatio},
                         {"mean_ratio_minus_one", Summary::Op::MeanRatioMinusOne}});
    m.cells = s.require_string("cells");
    m.over = s.get_string("over", "");
    if (m.op != Summary::Op::Mean && m.over.empty()) s.fail("over", "ratio summaries need the denominators (over)");
    m.paper = paper_value(s);
    s.finish();
    e.summaries.push_back(m);
  }
  auto summary_of = [&e](const std::string& row) -> const Summary* {
    for (const auto& m : e.summaries)
      if ("summary: " + m.id == row) return &m;
    return nullptr;
  };
  auto cell_of = [&e](const std::string& row) -> const Cell* {
    for (const auto& c : e.cells)
      if (c.id == row) return &c;
    return nullptr;
  };
  e.claims = parse_claims(
      root, [&](const std::string& r) { return cell_of(r) || summary_of(r); },
      [&](const std::string& r) { return cell_of(r) ? cell_of(r)->paper : summary_of(r)->paper; },
      [&](const std::string& r) {
        const Cell* c = cell_of(r);
        return c && c->metric == Metric::TestAccuracy && c->normalise_by.empty();
      });
  root.finish();
  return e;
}

std::vector<std::string> experiment_files(const std::string& root) {
  std::vector<std::string> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& d : fs::directory_iterator(root)) {
    fs::path f = d.path() / "experiment.yaml";
    if (fs::is_regular_file(f)) out.push_back(f.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ax::experiment
