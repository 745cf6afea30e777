// YAML ↔ JSON conversion for metrics (the resolved config is stored in metrics.json).
#pragma once
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace ax::config {

// Scalars become integers, numbers or booleans where they parse as such, else strings.
nlohmann::json yaml_to_json(const YAML::Node& n);

}  // namespace ax::config
