// Helpers shared by the unit tests.
#pragma once
#include <cstdlib>
#include <string>

#include <yaml-cpp/yaml.h>

#include "axtrain/config/section.h"
#include "axtrain/hw/spec.h"

namespace ax::test {

inline std::string source_dir() { return AXTRAIN_TEST_SOURCE_DIR; }
// ../shared beside the repository (CI always has it; a user's clone may not).
inline std::string shared_dir() { return source_dir() + "/../shared"; }

// Parses a hardware mapping written as YAML text, e.g. "{type: fixed_point, input: {bits: 4}}".
inline hw::LayerHwSpec layer_hw(const std::string& yaml) {
  YAML::Node n = YAML::Load(yaml);
  config::Section s({{n, "<test>"}}, "hardware");
  hw::LayerHwSpec spec = hw::LayerHwSpec::parse(s);
  s.finish();
  return spec;
}

inline std::shared_ptr<hw::LayerHardware> make_hw(const std::string& yaml, const std::string& name = "layer",
                                                  std::uint64_t seed = 1) {
  return layer_hw(yaml).make(hw::LayerInfo{name, 0, seed});
}

// A fresh temporary directory, removed by the caller if wanted.
std::string temp_dir(const std::string& tag);

// Runs the built axtrain binary with `args` (shell words) and collects its exit code and output.
struct CliResult {
  int code;         // exit status, -1 if it did not exit normally
  std::string out;  // stdout + stderr
};
CliResult run_cli(const std::string& args);

}  // namespace ax::test
