// Options<T>: the keys of one config section declared once — name, type, range, allowed values and
// a one-line doc — from which parsing (with Section's precise errors), the dump of the resolved
// config and the key tables (`axtrain list --keys`, the check of docs/config.md) all come.
// Defaults are T's own member initialisers: the declaration names no default, so it cannot drift.
// The dump writes the keys in declaration order (run ids hash the dump: keep the order).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "axtrain/config/section.h"
#include "axtrain/core/option_row.h"

namespace ax::config {

using ax::OptionRow;

template <class T>
class Options {
 public:
  explicit Options(std::string section) : section_(std::move(section)) {}
  const std::string& section() const { return section_; }

  Options& integer(std::string key, std::function<std::int64_t&(T&)> ref, std::int64_t lo, std::int64_t hi,
                   std::string doc) {
    Field f{key, "int", range_text(lo, hi), std::move(doc)};
    f.parse = [key, ref, lo, hi](Section& s, T& v) { ref(v) = s.get_int(key, ref(v), lo, hi); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return std::to_string(ref(const_cast<T&>(v))); };
    fields_.push_back(std::move(f));
    return *this;
  }
  // The same for an int field.
  Options& integer(std::string key, std::function<int&(T&)> ref, int lo, int hi, std::string doc) {
    Field f{key, "int", range_text(lo, hi), std::move(doc)};
    f.parse = [key, ref, lo, hi](Section& s, T& v) { ref(v) = static_cast<int>(s.get_int(key, ref(v), lo, hi)); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return std::to_string(ref(const_cast<T&>(v))); };
    fields_.push_back(std::move(f));
    return *this;
  }
  Options& number(std::string key, std::function<double&(T&)> ref, double lo, double hi, std::string doc) {
    Field f{key, "number", "[" + num(lo) + ", " + num(hi) + "]", std::move(doc)};
    f.parse = [key, ref, lo, hi](Section& s, T& v) { ref(v) = s.get_double(key, ref(v), lo, hi); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return num(ref(const_cast<T&>(v))); };
    fields_.push_back(std::move(f));
    return *this;
  }
  Options& boolean(std::string key, std::function<bool&(T&)> ref, std::string doc) {
    Field f{key, "bool", "", std::move(doc)};
    f.parse = [key, ref](Section& s, T& v) { ref(v) = s.get_bool(key, ref(v)); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return std::string(ref(const_cast<T&>(v)) ? "true" : "false"); };
    fields_.push_back(std::move(f));
    return *this;
  }
  // A path: ${VAR} expanded, kept relative as written.
  Options& path(std::string key, std::function<std::string&(T&)> ref, std::string doc) {
    Field f{key, "path", "", std::move(doc)};
    f.parse = [key, ref](Section& s, T& v) { ref(v) = s.get_path(key, ref(v)); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return ref(const_cast<T&>(v)); };
    fields_.push_back(std::move(f));
    return *this;
  }
  // Free text (a file name inside a dataset directory, a phase name).
  Options& text(std::string key, std::function<std::string&(T&)> ref, std::string doc) {
    Field f{key, "text", "", std::move(doc)};
    f.parse = [key, ref](Section& s, T& v) { ref(v) = s.get_string(key, ref(v)); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = ref(const_cast<T&>(v)); };
    f.show = [ref](const T& v) { return ref(const_cast<T&>(v)); };
    fields_.push_back(std::move(f));
    return *this;
  }
  // Lists, written in flow style ([16, 32, 64]); each element within [lo, hi].
  Options& integers(std::string key, std::function<std::vector<std::int64_t>&(T&)> ref, std::int64_t lo,
                    std::int64_t hi, std::string doc) {
    Field f{key, "list of int", range_text(lo, hi), std::move(doc)};
    f.parse = [key, ref, lo, hi](Section& s, T& v) { ref(v) = s.get_int_list(key, ref(v), lo, hi); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = flow(ref(const_cast<T&>(v))); };
    f.show = [ref](const T& v) { return list_text(ref(const_cast<T&>(v)), [](std::int64_t x) { return std::to_string(x); }); };
    fields_.push_back(std::move(f));
    return *this;
  }
  Options& texts(std::string key, std::function<std::vector<std::string>&(T&)> ref, std::string doc) {
    Field f{key, "list of text", "", std::move(doc)};
    f.parse = [key, ref](Section& s, T& v) { ref(v) = s.get_string_list(key, ref(v)); };
    f.dump = [key, ref](const T& v, YAML::Node& n) { n[key] = flow(ref(const_cast<T&>(v))); };
    f.show = [ref](const T& v) { return list_text(ref(const_cast<T&>(v)), [](const std::string& x) { return x; }); };
    fields_.push_back(std::move(f));
    return *this;
  }
  // One of named values; get/set let one name set several fields (e.g. `auto`).
  template <class E>
  Options& choice(std::string key, std::function<E(const T&)> get, std::function<void(T&, E)> set,
                  std::vector<std::pair<std::string, E>> names, std::string doc) {
    std::string type;
    for (const auto& [n, e] : names) type += (type.empty() ? "" : " | ") + n;
    Field f{key, type, "", std::move(doc)};
    f.parse = [key, get, set, names](Section& s, T& v) { set(v, s.get_choice<E>(key, get(v), names)); };
    f.show = [get, names](const T& v) {
      for (const auto& [name, e] : names)
        if (e == get(v)) return name;
      return std::string("?");  // unreachable while every value of E has a name
    };
    f.dump = [key, show = f.show](const T& v, YAML::Node& n) { n[key] = show(v); };
    fields_.push_back(std::move(f));
    return *this;
  }
  template <class E>
  Options& choice(std::string key, std::function<E&(T&)> ref, std::vector<std::pair<std::string, E>> names,
                  std::string doc) {
    return choice<E>(
        std::move(key), [ref](const T& v) { return ref(const_cast<T&>(v)); }, [ref](T& v, E e) { ref(v) = e; },
        std::move(names), std::move(doc));
  }
  // The last declared key's default depends on keys declared before it (e.g. sc's `accumulate`
  // on `encoding`): `set` writes that default into v before the key is read.
  Options& default_from(std::function<void(T&)> set) {
    fields_.back().defaulter = std::move(set);
    return *this;
  }
  // A rule the last declared key's value must meet given the keys before it: a non-empty message
  // fails the key (file, line, key, value and the message).
  Options& check(std::function<std::string(const T&)> rule) {
    fields_.back().rule = std::move(rule);
    return *this;
  }
  // The last declared key must be given (its value may not stay empty); the docs show "required".
  Options& required(std::string message) {
    fields_.back().required = std::move(message);
    return *this;
  }
  // A sub-mapping whose keys (declared by `sub` on the same T) live under `key`; its rows are
  // named key.subkey.
  Options& nested(std::string key, const Options<T>& sub) {
    Field f{key, "mapping", "", ""};
    f.parse = [key, sub](Section& s, T& v) {
      Section c = s.section(key);
      sub.parse(c, v);
      c.finish();
    };
    f.dump = [key, sub](const T& v, YAML::Node& n) {
      YAML::Node m;
      sub.dump(v, m);
      n[key] = m;
    };
    for (const OptionRow& r : sub.rows()) f.sub_rows.push_back({key + "." + r.key, r.type, r.range, r.fallback, r.doc});
    fields_.push_back(std::move(f));
    return *this;
  }
  // A key with its own parse and dump (e.g. an operand's QuantSpec), documented by `rows`.
  Options& custom(std::string key, std::function<void(Section&, T&)> parse,
                  std::function<void(const T&, YAML::Node&)> dump, std::vector<OptionRow> rows) {
    Field f{key, "mapping", "", ""};
    f.parse = std::move(parse);
    f.dump = std::move(dump);
    f.sub_rows = std::move(rows);
    fields_.push_back(std::move(f));
    return *this;
  }

  // Adds keys declared elsewhere (e.g. hw/operand_key.h), keeping the chain.
  Options& with(const std::function<void(Options&)>& add) {
    add(*this);
    return *this;
  }

  // The last declared key is dumped only when `when` holds (a key that applies to some values of
  // another, e.g. label_smoothing to cross_entropy).
  Options& dump_only_if(std::function<bool(const T&)> when) {
    fields_.back().when = std::move(when);
    return *this;
  }

  // The last declared key exists only when `when` holds given the keys before it (e.g. a drum
  // multiplier's k): otherwise it is neither read — so a config that gives it fails as an unknown
  // key — nor written.
  Options& applies_if(std::function<bool(const T&)> when) {
    fields_.back().applies = when;
    fields_.back().when = std::move(when);
    return *this;
  }

  // Reads every declared key into v (absent keys keep v's value: its default).
  void parse(Section& s, T& v) const {
    for (const auto& f : fields_) {
      if (f.applies && !f.applies(v)) continue;
      if (f.defaulter) f.defaulter(v);
      f.parse(s, v);
      if (!f.required.empty() && f.show && f.show(v).empty()) s.fail(f.key, "required: " + f.required);
      if (f.rule)
        if (std::string msg = f.rule(v); !msg.empty()) s.fail(f.key, msg);
    }
  }
  void dump(const T& v, YAML::Node& n) const {
    for (const auto& f : fields_)
      if (!f.when || f.when(v)) f.dump(v, n);
  }
  // The keys, defaults from T{} (or from a prototype whose defaults differ, e.g. a dataset
  // type's default directory).
  std::vector<OptionRow> rows() const { return rows(T{}); }
  std::vector<OptionRow> rows(const T& defaults) const {
    std::vector<OptionRow> out;
    for (const auto& f : fields_) {
      if (f.show) {
        std::string fallback = f.show(defaults);
        if (fallback.empty() && !f.required.empty()) fallback = "required";
        out.push_back({f.key, f.type, f.range, fallback, f.doc});
      }
      out.insert(out.end(), f.sub_rows.begin(), f.sub_rows.end());
    }
    return out;
  }

 private:
  struct Field {
    std::string key, type, range, doc;
    std::function<void(Section&, T&)> parse = {};
    std::function<void(const T&, YAML::Node&)> dump = {};
    std::function<std::string(const T&)> show = {};
    std::function<bool(const T&)> when = {};     // dumped only when it holds
    std::function<bool(const T&)> applies = {};  // read (and dumped) only when it holds
    std::function<void(T&)> defaulter = {};
    std::function<std::string(const T&)> rule = {};
    std::string required = {};  // non-empty: the key must be given; the message says what it holds
    std::vector<OptionRow> sub_rows = {};  // nested and custom keys: their rows (no own row)
  };
  // The shortest text that reads back as v (0.999, not 0.99899999999999999911).
  static std::string num(double v) {
    char buf[32];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {  // 300, not 3e+02
      std::snprintf(buf, sizeof buf, "%.0f", v);
      return buf;
    }
    for (int p = 1; p <= 17; ++p) {
      std::snprintf(buf, sizeof buf, "%.*g", p, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
  }
  template <class V>
  static YAML::Node flow(const std::vector<V>& values) {
    YAML::Node n(YAML::NodeType::Sequence);
    for (const V& x : values) n.push_back(x);
    n.SetStyle(YAML::EmitterStyle::Flow);
    return n;
  }
  template <class V, class F>
  static std::string list_text(const std::vector<V>& values, F text) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + text(values[i]);
    return out + "]";
  }
  static std::string range_text(std::int64_t lo, std::int64_t hi) {
    const bool top = hi == std::numeric_limits<std::int64_t>::max();
    return top ? "≥ " + std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
  }
  std::string section_;
  std::vector<Field> fields_;
};

}  // namespace ax::config
