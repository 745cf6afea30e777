// YAML ↔ JSON conversion for metrics (the resolved config is stored in metrics.json).
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace ax::config {

// Scalars become integers, numbers or booleans where they parse as such, else strings.
nlohmann::json yaml_to_json(const YAML::Node& n);
// A YAML document as block-style text, ending in a newline.
std::string to_yaml_string(const YAML::Node& n);

}  // namespace ax::config
