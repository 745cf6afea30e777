// Loading YAML files, resolving relative paths, and applying --set overrides.
#pragma once
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ax::config {

// Parses a YAML file; a syntax error or unreadable file becomes ConfigError naming file:line.
// `where` (may be empty) says who referred to the file.
YAML::Node load_yaml_file(const std::string& path, const std::string& where = "");
// Resolves a path written in a config: absolute as is; else relative to the working directory if
// it exists there, else relative to the referring file's directory, else to the source tree.
std::string resolve_config_path(const std::string& path, const std::string& referring_file);
// Applies `a.b.c=value` assignments (value parsed as YAML) to root in place, so nodes from the
// file keep their line and column (a document with aliases is copied first and loses them). List
// elements are addressed by index (phases.1.epochs=3). Nodes made here carry no mark, so errors
// about them say "(--set)". An empty value is a UsageError.
YAML::Node apply_overrides(const YAML::Node& root, const std::vector<std::string>& assignments);

}  // namespace ax::config
