#include "axtrain/config/yaml_json.h"

#include <cmath>
#include <string>

namespace ax::config {

nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(yaml_to_json(e));
    return a;
  }
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return o;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted in the source: keep as string
  try {
    std::size_t pos = 0;
    long long i = std::stoll(s, &pos, 10);
    if (pos == s.size()) return i;
  } catch (...) {
  }
  try {
    std::size_t pos = 0;
    double d = std::stod(s, &pos);
    if (pos == s.size() && std::isfinite(d)) return d;
  } catch (...) {
  }
  if (s == "true") return true;
  if (s == "false") return false;
  return s;
}

std::string to_yaml_string(const YAML::Node& n) {
  YAML::Emitter e;
  e << n;
  return std::string(e.c_str()) + "\n";
}

}  // namespace ax::config
