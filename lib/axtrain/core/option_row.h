// OptionRow: one config key as the docs and `axtrain list keys` show it. Declared by
// config::Options (config/options.h); the registries keep each type's rows (core/registry.h).
#pragma once
#include <string>

namespace ax {

struct OptionRow {
  std::string key;
  std::string type;     // int, number, bool, path, text, list, or the allowed names a | b | c
  std::string range;    // "1..100000", "[0, 0.999]" ("" = any value of the type)
  std::string fallback; // the default, as the resolved config writes it
  std::string doc;
};

}  // namespace ax
