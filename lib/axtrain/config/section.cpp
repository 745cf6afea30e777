#include "axtrain/config/section.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"

namespace ax::config {

std::string mark_text(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return file;
  YAML::Mark m = node.Mark();
  if (m.line < 0) return file + " (--set)";
  return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
}

Section::Section(std::vector<Layer> layers, std::string path)
    : layers_(std::move(layers)), path_(std::move(path)) {}

std::string Section::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool Section::has(const std::string& key) const { return top_layer_with(key) != nullptr; }

bool Section::empty() const { return keys().empty(); }

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  for (const auto& l : layers_) {
    if (!l.node.IsMap()) continue;
    for (const auto& kv : l.node) {
      std::string k = kv.first.as<std::string>();
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
  }
  return out;
}

const Section::Layer* Section::top_layer_with(const std::string& key) const {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
    if (it->node.IsMap() && it->node[key].IsDefined() && !it->node[key].IsNull()) return &*it;
    if (it->node.IsMap() && it->node[key].IsDefined() && it->node[key].IsNull()) return nullptr;
  }
  return nullptr;
}

std::string Section::where(const std::string& key) const {
  if (const Layer* l = top_layer_with(key)) {
    return fmt::format("{}: {}", mark_text(l->node[key], l->file), key_path(key));
  }
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
    if (it->node.IsDefined() && !it->node.IsNull())
      return fmt::format("{}: {}", mark_text(it->node, it->file), key_path(key));
  }
  std::string file = layers_.empty() ? "<config>" : layers_.back().file;
  return fmt::format("{}: {}", file, key_path(key));
}

void Section::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(fmt::format("{}: {}", where(key), message));
}

std::string Section::value_text(const std::string& key) const {
  const Layer* l = top_layer_with(key);
  if (!l) return "";
  YAML::Node n = l->node[key];
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

YAML::Node Section::scalar(const std::string& key) {
  mark(key);
  const Layer* l = top_layer_with(key);
  if (!l) fail(key, "required key is missing");
  YAML::Node n = l->node[key];
  if (!n.IsScalar()) fail(key, fmt::format("expected a single value, got '{}'", value_text(key)));
  return n;
}

std::string Section::require_string(const std::string& key) { return scalar(key).Scalar(); }

std::string Section::get_string(const std::string& key, const std::string& fallback) {
  if (!has(key)) {
    mark(key);
    return fallback;
  }
  return require_string(key);
}

bool Section::get_bool(const std::string& key, bool fallback) {
  if (!has(key)) {
    mark(key);
    return fallback;
  }
  YAML::Node n = scalar(key);
  bool v = false;
  if (!YAML::convert<bool>::decode(n, v))
    fail(key, fmt::format("value '{}' is not a boolean; allowed: true, false", n.Scalar()));
  return v;
}

namespace {
bool parse_int(const std::string& s, std::int64_t& out) {
  try {
    std::size_t pos = 0;
    long long v = std::stoll(s, &pos, 0);
    if (pos != s.size()) return false;
    out = v;
    return true;
  } catch (...) {
    return false;
  }
}
bool parse_double(const std::string& s, double& out) {
  try {
    std::size_t pos = 0;
    double v = std::stod(s, &pos);
    if (pos != s.size()) return false;
    out = v;
    return std::isfinite(v);
  } catch (...) {
    return false;
  }
}
std::string range_text(std::int64_t lo, std::int64_t hi) {
  if (hi == std::numeric_limits<std::int64_t>::max()) return fmt::format("an integer >= {}", lo);
  return fmt::format("an integer in {}..{}", lo, hi);
}
std::string range_text(double lo, double hi) {
  if (hi == std::numeric_limits<double>::max()) return fmt::format("a number >= {}", lo);
  return fmt::format("a number in [{}, {}]", lo, hi);
}
}  // namespace

std::int64_t Section::require_int(const std::string& key, std::int64_t lo, std::int64_t hi) {
  YAML::Node n = scalar(key);
  std::int64_t v = 0;
  if (!parse_int(n.Scalar(), v))
    fail(key, fmt::format("value '{}' is not an integer; allowed: {}", n.Scalar(), range_text(lo, hi)));
  if (v < lo || v > hi)
    fail(key, fmt::format("value {} is out of range; allowed: {}", v, range_text(lo, hi)));
  return v;
}

std::int64_t Section::get_int(const std::string& key, std::int64_t fallback, std::int64_t lo,
                              std::int64_t hi) {
  if (!has(key)) {
    mark(key);
    return fallback;
  }
  return require_int(key, lo, hi);
}

double Section::require_double(const std::string& key, double lo, double hi) {
  YAML::Node n = scalar(key);
  double v = 0;
  if (!parse_double(n.Scalar(), v))
    fail(key, fmt::format("value '{}' is not a number; allowed: {}", n.Scalar(), range_text(lo, hi)));
  if (v < lo || v > hi)
    fail(key, fmt::format("value {} is out of range; allowed: {}", n.Scalar(), range_text(lo, hi)));
  return v;
}

double Section::get_double(const std::string& key, double fallback, double lo, double hi) {
  if (!has(key)) {
    mark(key);
    return fallback;
  }
  return require_double(key, lo, hi);
}

namespace {
template <class T, class ParseFn>
std::vector<T> read_list(Section& s, const std::string& key, std::vector<T> fallback,
                         const std::string& allowed, ParseFn parse) {
  s.mark(key);
  if (!s.has(key)) return fallback;
  YAML::Node n = s.top_layer_with(key)->node[key];
  if (n.IsScalar()) {  // a single value is a one-element list
    T v{};
    if (!parse(n.Scalar(), v))
      s.fail(key, fmt::format("value '{}' is not allowed; expected a list of {}", n.Scalar(), allowed));
    return {v};
  }
  if (!n.IsSequence()) s.fail(key, fmt::format("expected a list of {}", allowed));
  std::vector<T> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    T v{};
    if (!n[i].IsScalar() || !parse(n[i].Scalar(), v))
      s.fail(key, fmt::format("element {} ('{}') is not allowed; expected a list of {}", i,
                              n[i].IsScalar() ? n[i].Scalar() : "<mapping>", allowed));
    out.push_back(v);
  }
  return out;
}
}  // namespace

std::vector<std::int64_t> Section::get_int_list(const std::string& key,
                                                std::vector<std::int64_t> fallback,
                                                std::int64_t lo, std::int64_t hi) {
  return read_list<std::int64_t>(*this, key, std::move(fallback), range_text(lo, hi) + "s",
                                 [&](const std::string& s, std::int64_t& v) {
                                   return parse_int(s, v) && v >= lo && v <= hi;
                                 });
}

std::vector<double> Section::get_double_list(const std::string& key, std::vector<double> fallback,
                                             double lo, double hi) {
  return read_list<double>(*this, key, std::move(fallback), range_text(lo, hi) + "s",
                           [&](const std::string& s, double& v) {
                             return parse_double(s, v) && v >= lo && v <= hi;
                           });
}

std::vector<std::string> Section::get_string_list(const std::string& key,
                                                  std::vector<std::string> fallback) {
  return read_list<std::string>(*this, key, std::move(fallback), "strings",
                                [](const std::string& s, std::string& v) {
                                  v = s;
                                  return true;
                                });
}

std::string Section::get_path(const std::string& key, const std::string& fallback) {
  std::string raw_value = get_string(key, fallback);
  return expand_env(raw_value, where(key));
}

void Section::fail_choice(const std::string& key, const std::string& value,
                          const std::vector<std::string>& names) const {
  fail(key, fmt::format("value '{}' is not allowed{}; allowed: {}", value,
                        did_you_mean(value, names), join(names, ", ")));
}

Section Section::section(const std::string& key) {
  mark(key);
  std::vector<Layer> sub;
  for (const auto& l : layers_) {
    if (!l.node.IsMap()) continue;
    YAML::Node n = l.node[key];
    if (!n.IsDefined() || n.IsNull()) continue;
    if (!n.IsMap())
      throw ConfigError(fmt::format("{}: {}: expected a mapping (key: value lines), got '{}'",
                                    mark_text(n, l.file), key_path(key),
                                    n.IsScalar() ? n.Scalar() : "a list"));
    sub.push_back({n, l.file});
  }
  return Section(std::move(sub), key_path(key));
}

std::vector<Section> Section::section_list(const std::string& key) {
  mark(key);
  std::vector<Section> out;
  const Layer* l = top_layer_with(key);
  if (!l) return out;
  YAML::Node n = l->node[key];
  if (!n.IsSequence()) fail(key, "expected a list of mappings (lines starting with '- ')");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string p = fmt::format("{}.{}", key_path(key), i);
    if (!n[i].IsMap())
      throw ConfigError(fmt::format("{}: {}: expected a mapping", mark_text(n[i], l->file), p));
    out.emplace_back(std::vector<Layer>{{n[i], l->file}}, p);
  }
  return out;
}

YAML::Node Section::raw(const std::string& key) {
  mark(key);
  const Layer* l = top_layer_with(key);
  return l ? l->node[key] : YAML::Node();
}

Section Section::overlay(const YAML::Node& node, const std::string& file,
                         const std::vector<std::string>& ignore) const {
  std::vector<Layer> layers = layers_;
  layers.push_back({node, file});
  Section s(std::move(layers), path_);
  for (const auto& k : ignore) s.mark(k);
  return s;
}

void Section::finish() const {
  std::vector<std::string> known(used_.begin(), used_.end());
  for (const auto& l : layers_) {
    if (!l.node.IsMap()) continue;
    for (const auto& kv : l.node) {
      std::string k = kv.first.as<std::string>();
      if (used_.count(k)) continue;
      throw ConfigError(fmt::format("{}: {}: unknown key '{}'{}; allowed here: {}",
                                    mark_text(kv.first, l.file), key_path(k), k,
                                    did_you_mean(k, known), join(known, ", ")));
    }
  }
}

}  // namespace ax::config
