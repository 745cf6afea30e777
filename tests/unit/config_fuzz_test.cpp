// Issue 18: a fuzz test over every run config and hardware preset in configs/ (and the power
// figures of configs/power/). A fixed seed draws ≥ 300 mutants (text edits and hostile values,
// 1-3 each); loading each must end in success or a bad-input error (ConfigError, DataError,
// UsageError: exit 2), never another exception (exit 1), a crash or a hang; and every mutant that
// loads must survive the --dump-config round trip: its dump loads again to the same dump.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <typeinfo>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/eval/power.h"
#include "axtrain/run/run_config.h"
#include "test_util.h"

namespace ax {
namespace {

namespace fs = boost::filesystem;

std::vector<std::string> yaml_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<std::string> kValues{
    "-1", "0", "1e308", "-1e308", "nan", ".inf", "''", "~", "[]", "{}", "&a [*a]", "99999999999999999999999",
    "..", ".", "/", "${NO_SUCH_VARIABLE}", "[[[[[[[[1]]]]]]]]", "{a: 1}", "\"\\u0000\"", "0x7fffffffffffffff",
    "-9223372036854775808", "1.5", "true", "yes", std::string(300, 'x'), "\"a\\nb\"", "!!binary AAAA", "[1, [2, {}]]"};
const std::string kChars = "[]{}:,-&*!|>'\"#%@` \n\t0123456789abcxyz._/$";

// One random edit of YAML text.
std::string mutate(std::string t, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % std::max<std::size_t>(n, 1)); };
  std::vector<std::string> lines;
  {
    std::istringstream in(t);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  auto join = [&] {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  };
  switch (rng() % 8) {
    case 0:  // delete a character
      if (!t.empty()) t.erase(pick(t.size()), 1);
      return t;
    case 1:  // insert a character that means something to YAML
      t.insert(pick(t.size() + 1), 1, kChars[pick(kChars.size())]);
      return t;
    case 2:  // truncate
      return t.substr(0, pick(t.size() + 1));
    case 3:  // delete or duplicate a line
      if (lines.empty()) return t;
      if (rng() % 2) lines.erase(lines.begin() + static_cast<long>(pick(lines.size())));
      else {
        std::size_t i = pick(lines.size());
        lines.insert(lines.begin() + static_cast<long>(i), lines[i]);
      }
      return join();
    case 4:  // swap two lines
      if (lines.size() > 1) std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
      return join();
    case 5:  // hostile keys
      lines.insert(lines.begin() + static_cast<long>(pick(lines.size() + 1)),
                   std::vector<std::string>{"{a: 1}: y", "? [k]\n: v", "<<: {seed: 2}", "x: &b [*b]"}[rng() % 4]);
      return join();
    default: {  // replace the value after some "key:" with a hostile one
      std::vector<std::size_t> colons;
      for (std::size_t i = 0; i + 1 < t.size(); ++i)
        if (t[i] == ':' && (t[i + 1] == ' ')) colons.push_back(i);
      if (colons.empty()) return t;
      std::size_t at = colons[pick(colons.size())] + 2;
      std::size_t end = t.find_first_of(",}\n", at);
      if (end == std::string::npos) end = t.size();
      return t.substr(0, at) + kValues[pick(kValues.size())] + t.substr(end);
    }
  }
}

enum class Kind { Run, Preset, Power };

TEST(ConfigFuzz, MutatedConfigsAndPresetsFailCleanlyOrRoundTrip) {
  setenv("CIFAR10_DIR", "/nonexistent", 1);
  setenv("IMAGENET_DIR", "/nonexistent", 1);
  const std::string src = test::source_dir() + "/configs";
  std::vector<std::pair<std::string, Kind>> files;
  for (const auto& f : yaml_files(src)) files.emplace_back(f, Kind::Run);
  for (const auto& f : yaml_files(src + "/axtrain")) files.emplace_back(f, Kind::Run);
  for (const auto& f : yaml_files(src + "/hw")) files.emplace_back(f, Kind::Preset);
  for (const auto& f : yaml_files(src + "/power")) files.emplace_back(f, Kind::Power);
  ASSERT_GE(files.size(), 40u);
  const std::string dir = test::temp_dir("fuzz");
  const std::string preset_user = dir + "/uses_preset.yaml";
  for (const char* sub : {"/configs", "/configs/axtrain", "/configs/hw", "/configs/power"})
    fs::create_directories(dir + sub);
  for (const auto& f : yaml_files(src + "/hw")) fs::copy_file(f, dir + "/configs/hw/" + fs::path(f).filename().string());
  std::mt19937_64 rng(18);
  const int kMutants = std::max<int>(400, static_cast<int>(files.size()) * 8);
  int loaded = 0, rejected = 0, failures = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMutants && failures < 10; ++i) {
    const auto& [file, kind] = files[static_cast<std::size_t>(i) % files.size()];
    std::string text = read(file);
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) text = mutate(text, rng);
    // in a copy of the original's directory, so that relative references resolve as they do for it
    const std::string sub = fs::path(file).parent_path().string().substr(test::source_dir().size());
    const std::string mutant = dir + sub + "/mutant.yaml";
    const std::string keep = fmt::format("{}/mutant-{}.yaml", dir, i);
    std::ofstream(keep) << text;
    fs::copy_file(keep, mutant, fs::copy_options::overwrite_existing);
    std::string what;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (kind == Kind::Power) {
        eval::load_power_costs(mutant);
        ++loaded;
      } else {
        std::string run_file = mutant;
        if (kind == Kind::Preset) {
          std::ofstream(preset_user) << "data: {type: synthetic, shape: [1, 8, 8], classes: 3}\nmodel: {type: tinyconv}\n"
                                        "phases: [{epochs: 1}]\nhardware: " << mutant << "\n";
          run_file = preset_user;
        }
        run::RunConfig c = run::load_run_config(run_file);
        ++loaded;
        const std::string dump = config::to_yaml_string(c.to_yaml());
        const std::string dumped = dir + "/dump.yaml";
        std::ofstream(dumped) << dump;
        try {
          run::RunConfig again = run::load_run_config(dumped);
          const std::string dump2 = config::to_yaml_string(again.to_yaml());
          if (dump2 != dump) what = "the dump of the dump differs:\n" + dump + "\n---\n" + dump2;
        } catch (const std::exception& e) {
          what = std::string("its --dump-config does not load: ") + e.what() + "\n" + dump;
        }
      }
    } catch (const ConfigError&) {
      ++rejected;
    } catch (const DataError&) {
      ++rejected;
    } catch (const UsageError&) {
      ++rejected;
    } catch (const std::exception& e) {
      what = std::string("exit 1 (") + typeid(e).name() + "): " + e.what();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (secs > 5) what += fmt::format(" took {:.1f} s", secs);
    if (!what.empty()) {
      ++failures;
      ADD_FAILURE() << "mutant " << i << " of " << file << " (kept as " << keep << "): " << what << "\n--- text:\n"
                    << text;
    }
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(loaded + rejected, 300);
  EXPECT_GT(loaded, 20);  // some mutants stay valid, so the round trip is exercised
  EXPECT_LT(total, 180);
  std::printf("fuzz: %d mutants of %zu files, %d loaded, %d rejected, %.1f s\n", loaded + rejected, files.size(),
              loaded, rejected, total);
}

}  // namespace
}  // namespace ax
