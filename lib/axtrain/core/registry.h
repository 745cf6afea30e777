// One registry per pluggable kind (models, datasets, hardware, optimizers, schedules, ...),
// keyed by the YAML `type:` string and filled explicitly by register_all() (no static-init
// tricks). Looking up an unknown name throws ConfigError listing the known ones; registering a
// name twice is a programming error (std::logic_error), not a silent replacement. Every entry
// states its own config keys (declared with config::Options; empty for a type without keys), so
// `axtrain list keys` and the docs check cover every registered type.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/option_row.h"
#include "axtrain/core/text.h"

namespace ax {

template <class Entry>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, std::string description, Entry entry, std::vector<OptionRow> keys) {
    if (!entries_.emplace(name, Item{std::move(description), std::move(entry), std::move(keys)}).second)
      throw std::logic_error(fmt::format("{} '{}' is registered twice", kind_, name));
  }
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  // `where` prefixes the error: "file:line:col: key.path".
  const Entry& get(const std::string& name, const std::string& where = "") const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      throw ConfigError(fmt::format("{}{}unknown {} '{}'{}; known: {}", where,
                                    where.empty() ? "" : ": ", kind_, name,
                                    did_you_mean(name, names()), join(names(), ", ")));
    }
    return it->second.entry;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : entries_) out.push_back(k);
    return out;
  }
  std::vector<std::pair<std::string, std::string>> descriptions() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : entries_) out.emplace_back(k, v.description);
    return out;
  }
  // The type's own keys (beside the section's common ones), in declaration order.
  const std::vector<OptionRow>& keys(const std::string& name) const { return entries_.at(name).keys; }
  const std::string& kind() const { return kind_; }

 private:
  struct Item {
    std::string description;
    Entry entry;
    std::vector<OptionRow> keys;
  };
  std::string kind_;
  std::map<std::string, Item> entries_;
};

}  // namespace ax
