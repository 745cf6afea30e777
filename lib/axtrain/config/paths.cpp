#include "axtrain/config/paths.h"

#include <map>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion

#include "axtrain/core/build_info.h"
#include "axtrain/config/yaml_limits.h"
#include "axtrain/core/errors.h"

namespace fs = boost::filesystem;

namespace ax::config {

namespace {
// yaml-cpp keeps both entries of a repeated key and lookups see only the first, so a second
// `lr:` would be silently ignored: reject it, naming both lines.
void check_duplicate_keys(const YAML::Node& n, const std::string& path, const std::string& key_path) {
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) check_duplicate_keys(n[i], path, fmt::format("{}.{}", key_path, i));
    return;
  }
  if (!n.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& kv : n) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const std::string here = key_path.empty() ? key : key_path + "." + key;
    auto [it, fresh] = first_line.emplace(key, kv.first.Mark().line + 1);
    if (!fresh)
      throw ConfigError(fmt::format("{}:{}:{}: {}: key '{}' appears twice in the same mapping (first on line {}); "
                                    "keep one", path, kv.first.Mark().line + 1, kv.first.Mark().column + 1, here, key,
                                    it->second));
    check_duplicate_keys(kv.second, path, here);
  }
}
}  // namespace

YAML::Node load_yaml_file(const std::string& path, const std::string& where) {
  std::string prefix = where.empty() ? "" : where + ": ";
  if (!fs::exists(path)) throw ConfigError(fmt::format("{}file not found: {}", prefix, path));
  // a directory opens as a stream on Linux and fails on the first read with std::ios_failure
  if (fs::is_directory(path)) throw ConfigError(fmt::format("{}{} is a directory, not a YAML file", prefix, path));
  try {
    YAML::Node doc = YAML::LoadFile(path);
    check_yaml_shape(doc, path);  // before any walk that expands aliases
    check_duplicate_keys(doc, path, "");
    return doc;
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(fmt::format("{}{}:{}:{}: nested deeper than the YAML parser allows; a config needs only a "
                                  "few levels (at most {})", prefix, path, e.mark.line + 1, e.mark.column + 1,
                                  kMaxYamlDepth));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}{}:{}:{}: YAML syntax error: {}", prefix, path, e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  } catch (const YAML::BadFile&) {
    throw ConfigError(fmt::format("{}cannot read {}", prefix, path));
  }
}

std::string resolve_config_path(const std::string& path, const std::string& referring_file) {
  fs::path p(path);
  if (p.is_absolute() || fs::exists(p)) return path;
  fs::path rel = fs::path(referring_file).parent_path() / p;
  if (fs::exists(rel)) return rel.string();
  fs::path src = fs::path(AXTRAIN_SOURCE_DIR) / p;
  if (fs::exists(src)) return src.string();
  return path;  // not found: the loader reports it with the original spelling
}

namespace {
bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void assign(YAML::Node node, const std::vector<std::string>& keys, std::size_t i,
            const YAML::Node& value, const std::string& text) {
  const std::string& k = keys[i];
  bool last = i + 1 == keys.size();
  if (node.IsSequence()) {
    if (!is_index(k) || k.size() > 9 || std::stoul(k) >= node.size())
      throw ConfigError(fmt::format("--set {}: '{}' is not an index of a list of {} elements", text,
                                    k, node.size()));
    std::size_t idx = std::stoul(k);
    if (last) node[idx] = value;
    else assign(node[idx], keys, i + 1, value, text);
    return;
  }
  // hardware: a preset path, then --set hardware.key=v: the preset plus an override.
  if (node.IsScalar() && i == 1 && keys[0] == "hardware") {
    YAML::Node m(YAML::NodeType::Map);
    m["preset"] = node.Scalar();
    node = m;
  }
  if (!node.IsMap() && !node.IsNull() && node.IsDefined())
    throw ConfigError(fmt::format("--set {}: cannot set a key inside the value '{}'", text,
                                  node.IsScalar() ? node.Scalar() : "?"));
  if (last) {
    node[k] = value;
  } else {
    YAML::Node child = node[k];
    if (!child.IsDefined() || child.IsNull()) {
      node[k] = YAML::Node(YAML::NodeType::Map);
      child = node[k];
    }
    assign(child, keys, i + 1, value, text);
  }
}
}  // namespace

Override Override::parse(const std::string& a) {
  auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("--set {}: expected KEY.PATH=VALUE", a));
  const std::string text = a.substr(eq + 1);
  if (text.find_first_not_of(" \t") == std::string::npos)
    throw UsageError(fmt::format("--set {}: the value is empty; give a value, or leave the key out for its "
                                 "default ('null' removes a key, \"''\" is an empty string)", a));
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UsageError(fmt::format("--set {}: value is not valid YAML: {}", a, e.msg));
  }
  check_yaml_shape(value, "--set " + a);
  if (value.IsNull() && !text.empty() && text != "null" && text != "~") value = YAML::Node(text);
  // Drop marks so that errors about this value point at --set, not at line 1 of the string.
  YAML::Node fresh = value.IsScalar() ? YAML::Node(value.Scalar()) : value;
  return Override(Made{}, a.substr(0, eq), fresh, a);
}

Override Override::of(std::string key, double value) {
  return Override(Made{}, std::move(key), YAML::Node(fmt::format("{}", value)), "");
}

std::string Override::text() const {
  YAML::Emitter e;
  e << YAML::Flow << value;
  return key + "=" + e.c_str();
}

std::vector<Override> parse_overrides(const std::vector<std::string>& assignments) {
  std::vector<Override> out;
  for (const auto& a : assignments) out.push_back(Override::parse(a));
  return out;
}

YAML::Node apply_overrides(const YAML::Node& root, const std::vector<Override>& overrides) {
  // Edit in place, so keys from the file keep their line and column (YAML::Clone drops every
  // mark); a document with aliases is cloned first, or an edit would change every alias of a node.
  const bool aliases = root.IsDefined() && check_yaml_shape(root, "<config>").shares_nodes;
  YAML::Node out = aliases ? YAML::Clone(root) : root;
  if (!out.IsDefined() || out.IsNull()) out = YAML::Node(YAML::NodeType::Map);
  for (const Override& o : overrides) {
    std::vector<std::string> keys;
    std::size_t start = 0;
    while (true) {
      auto dot = o.key.find('.', start);
      keys.push_back(o.key.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    assign(out, keys, 0, o.value, o.origin.empty() ? o.text() : o.origin);
  }
  return out;
}

}  // namespace ax::config
