#include "axtrain/config/yaml_limits.h"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"

namespace ax::config {

namespace {
std::string shown(const std::string& path) {
  if (path.empty()) return "<document>";
  return path.size() <= 60 ? path : path.substr(0, 60) + "...";
}

struct Walk {
  const std::string& file;
  YamlShape shape;
  // Nodes read from a file have distinct (position, type); a repeat is an alias of an earlier one.
  std::set<std::pair<int, int>> seen;

  void visit(const YAML::Node& n, const std::string& path, std::size_t depth) {
    if (depth > kMaxYamlDepth)
      throw ConfigError(fmt::format("{}: {}: nested deeper than {} levels (a self-referential alias, e.g. "
                                    "'a: &A [*A]', nests forever); a config needs only a few",
                                    mark_text(n, file), shown(path), kMaxYamlDepth));
    if (++shape.nodes > kMaxYamlNodes)
      throw ConfigError(fmt::format("{}: {}: the document expands to more than {} values (aliases of "
                                    "aliases?); allowed: at most {}",
                                    mark_text(n, file), shown(path), kMaxYamlNodes,
                                    kMaxYamlNodes));
    if (n.Mark().pos >= 0 && !seen.emplace(n.Mark().pos, static_cast<int>(n.Type())).second)
      shape.shares_nodes = true;
    if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i)
        visit(n[i], path.empty() ? std::to_string(i) : fmt::format("{}.{}", path, i), depth + 1);
    } else if (n.IsMap()) {
      for (const auto& kv : n) {
        if (!kv.first.IsScalar())
          throw ConfigError(fmt::format("{}: {}: a key must be a plain name, not a {}", mark_text(kv.first, file),
                                        shown(path),
                                        kv.first.IsMap() ? "mapping" : kv.first.IsSequence() ? "list" : "null"));
        const std::string here = path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar();
        visit(kv.second, here, depth + 1);
      }
    }
  }
};
}  // namespace

YamlShape check_yaml_shape(const YAML::Node& doc, const std::string& file) {
  Walk w{file, {}, {}};
  w.visit(doc, "", 0);
  return w.shape;
}

}  // namespace ax::config
