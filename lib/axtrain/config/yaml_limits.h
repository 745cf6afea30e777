// Limits on the shape of a YAML document, checked before anything walks it: YAML aliases share
// nodes, so `a: &A [*A]` is a cycle and ten aliases per level over eight levels expand to 10^8
// nodes from a few hundred bytes. Every walker in axtrain (duplicate keys, Section, dump, JSON)
// expands aliases, so the document is rejected unless its expanded form is small and shallow.
#pragma once
#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace ax::config {

constexpr std::size_t kMaxYamlDepth = 64;          // levels of nesting (configs use < 10)
constexpr std::size_t kMaxYamlNodes = 200000;      // nodes after alias expansion

struct YamlShape {
  std::size_t nodes = 0;     // expanded node count
  bool shares_nodes = false;  // some node is reached twice (an alias)
};

// Throws ConfigError naming file:line:col and the key path when the expanded document nests deeper
// than kMaxYamlDepth (a self-referential alias always does), expands to more than kMaxYamlNodes
// nodes, or uses a mapping or list as a key.
YamlShape check_yaml_shape(const YAML::Node& doc, const std::string& file);

}  // namespace ax::config
