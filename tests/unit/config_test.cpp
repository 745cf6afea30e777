// Config parsing and every error path: each error names file:line:col, the key path, the bad
// value and what is allowed.
#include <fstream>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/config/paths.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/registry.h"
#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "test_util.h"

namespace ax {
namespace {

const char* kBase = R"(name: t
data:
  type: synthetic
  shape: [1, 8, 8]
  classes: 3
  batch_size: 16
model: {type: mlp, hidden: [8]}
optimizer: {type: sgd, lr: 0.1}
phases:
  - {name: train, epochs: 2}
)";

std::string write(const std::string& text, const std::string& name = "cfg.yaml") {
  std::string dir = test::temp_dir("config");
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Runs load_run_config on text and returns the ConfigError message ("" if it parsed).
std::string config_error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    run::load_run_config(write(text), sets);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Typed overrides (config/paths.h) against their text form, which --set users write by hand.
TEST(Config, TypedOverridesEqualTheirHandWrittenText) {
  const std::string path = write(kBase);
  const std::vector<config::Override> typed = {
      config::Override::of("seed", 7), config::Override::of("phases.0.epochs", 0.1),
      config::Override::of("hardware", std::string("configs/hw/sc32.yaml")),
      config::Override::of("eval.mode", std::string("proxy"))};
  const std::vector<std::string> text = {"seed=7", "phases.0.epochs=0.1", "hardware=configs/hw/sc32.yaml",
                                         "eval.mode=proxy"};
  // The shortest exact number, not 0.10000000000000001.
  EXPECT_EQ(typed[1].text(), "phases.0.epochs=0.1");
  for (std::size_t i = 0; i < typed.size(); ++i) {
    EXPECT_EQ(typed[i].text(), text[i]);
    EXPECT_EQ(config::Override::parse(typed[i].text()).text(), text[i]);
  }
  const run::RunConfig a = run::load_run_config(path, typed), b = run::load_run_config(path, text);
  EXPECT_EQ(a.seed, 7u);
  EXPECT_DOUBLE_EQ(a.phases[0].epochs, 0.1);
  EXPECT_EQ(a.hardware.base.type(), "sc");
  EXPECT_EQ(a.eval.mode, hw::Mode::Proxy);
  EXPECT_EQ(config::to_yaml_string(a.to_yaml()), config::to_yaml_string(b.to_yaml()));
  EXPECT_EQ(a.run_id(), b.run_id());
  // A flow mapping survives the text form.
  const auto m = config::Override::parse("hardware.layers={conv1: {adc_bits: 6}}");
  EXPECT_EQ(config::Override::parse(m.text()).value["conv1"]["adc_bits"].as<int>(), 6);
  EXPECT_THROW(config::Override::parse("novalue="), UsageError);
  EXPECT_THROW(config::Override::parse("=3"), UsageError);
}

TEST(Config, ParsesAndFillsDefaults) {
  run::RunConfig c = run::load_run_config(write(kBase));
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.data.batch_size, 16);
  EXPECT_EQ(c.data.test_batch_size, 1000);
  EXPECT_EQ(c.model.type, "mlp");
  EXPECT_EQ(c.optimizer.type, "sgd");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.1);
  ASSERT_EQ(c.phases.size(), 1u);
  EXPECT_EQ(c.phases[0].mode, hw::Mode::Exact);
  EXPECT_EQ(c.hardware.base.type(), "ideal");
  EXPECT_DOUBLE_EQ(c.total_epochs(), 2.0);
}

TEST(Config, DumpRoundTripsAndRunIdIgnoresOutputDeviceThreads) {
  run::RunConfig c = run::load_run_config(write(kBase));
  std::string dumped = config::to_yaml_string(c.to_yaml());
  run::RunConfig d = run::load_run_config(write(dumped));
  EXPECT_EQ(config::to_yaml_string(d.to_yaml()), dumped);
  EXPECT_EQ(c.run_id(), d.run_id());
  run::RunConfig e = run::load_run_config(write(kBase), std::vector<std::string>{"output.dir=/elsewhere", "threads=1"});
  EXPECT_EQ(e.run_id(), c.run_id());
  run::RunConfig f = run::load_run_config(write(kBase), {"seed=2"});
  EXPECT_NE(f.run_id(), c.run_id());
}

TEST(Config, SetOverridesNestedKeysAndListElements) {
  run::RunConfig c =
      run::load_run_config(write(kBase), {"data.batch_size=32", "phases.0.epochs=0.5", "model.hidden=[4,4]"});
  EXPECT_EQ(c.data.batch_size, 32);
  EXPECT_DOUBLE_EQ(c.phases[0].epochs, 0.5);
  auto m = c.model.build({1, 8, 8}, 3);
  EXPECT_EQ(layers::mac_layers(*m).size(), 3u);
}

TEST(Config, UnknownKeyNamesLineKeyPathAndSuggestion) {
  std::string e = config_error_of(std::string(kBase) + "eval: {evrey: 2}\n");
  EXPECT_NE(e.find("cfg.yaml:11:8"), std::string::npos) << e;
  EXPECT_NE(e.find("eval.evrey"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'every'"), std::string::npos) << e;
}

TEST(Config, WrongTypeNamesValueAndAllowed) {
  std::string text = kBase;
  text.replace(text.find("batch_size: 16"), 14, "batch_size: many");
  std::string e = config_error_of(text);
  EXPECT_NE(e.find("cfg.yaml:6:15"), std::string::npos) << e;
  EXPECT_NE(e.find("data.batch_size"), std::string::npos) << e;
  EXPECT_NE(e.find("'many' is not an integer"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed: an integer in 1..1048576"), std::string::npos) << e;
}

TEST(Config, OutOfRangeValue) {
  std::string e = config_error_of(kBase, {"optimizer.lr=-1"});
  EXPECT_NE(e.find("optimizer.lr"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  EXPECT_NE(e.find("(--set)"), std::string::npos) << e;
}

// Registering a name twice throws instead of replacing the first entry (issue 15 part 3).
TEST(Config, RegisteringANameTwiceThrows) {
  Registry<int> r("widget type");
  r.add("a", "first", 1, {{"size", "int", "1..9", "3", "planted key"}});
  EXPECT_THROW(r.add("a", "second", 2, {}), std::logic_error);
  EXPECT_EQ(r.get("a"), 1);  // the first entry stays
  ASSERT_EQ(r.keys("a").size(), 1u);  // and so do its keys
  EXPECT_EQ(r.keys("a")[0].fallback, "3");
  r.add("b", "other", 3, {});
  EXPECT_EQ(r.names(), (std::vector<std::string>{"a", "b"}));
}

TEST(Config, MisspelledRegistryNameListsKnown) {
  std::string e = config_error_of(kBase, {"model.type=tinyconf"});
  EXPECT_NE(e.find("unknown model type 'tinyconf'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'tinyconv'"), std::string::npos) << e;
  EXPECT_NE(e.find("mlp"), std::string::npos) << e;
  std::string h = config_error_of(std::string(kBase) + "hardware: {type: fixd_point}\n");
  EXPECT_NE(h.find("hardware.type"), std::string::npos) << h;
  EXPECT_NE(h.find("did you mean 'fixed_point'"), std::string::npos) << h;
}

TEST(Config, BadChoiceListsAllowed) {
  std::string e = config_error_of(kBase, {"phases.0.mode=exactt"});
  EXPECT_NE(e.find("phases.0.mode"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed: ideal, exact, proxy, inject"), std::string::npos) << e;
}

TEST(Config, MissingRequiredSectionsAndFiles) {
  EXPECT_NE(config_error_of("name: x\nmodel: {type: mlp}\nphases: [{epochs: 1}]\n").find("data"), std::string::npos);
  EXPECT_NE(config_error_of(std::string(kBase) + "hardware: no/such/preset.yaml\n").find("file not found"),
            std::string::npos);
  EXPECT_THROW(run::load_run_config("/no/such/config.yaml"), ConfigError);
}

TEST(Config, YamlSyntaxErrorNamesLine) {
  std::string e = config_error_of("name: t\ndata: {type: synthetic\nmodel: x\n");
  EXPECT_NE(e.find("cfg.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST(Config, RepeatedKeyNamesBothLines) {
  std::string e = config_error_of("name: t\noptimizer:\n  lr: 0.1\n  type: sgd\n  lr: 0.5\n");
  EXPECT_NE(e.find("cfg.yaml:5:3: optimizer.lr: key 'lr' appears twice"), std::string::npos) << e;
  EXPECT_NE(e.find("first on line 3"), std::string::npos) << e;
  std::string f = config_error_of("name: t\nphases: [{epochs: 1, epochs: 2}]\n");
  EXPECT_NE(f.find("phases.0.epochs"), std::string::npos) << f;
}

TEST(Config, HardwarePresetWithOverridesAndLayerExclusion) {
  std::string dir = test::temp_dir("preset");
  std::ofstream(dir + "/hw.yaml") << "hardware:\n  type: fixed_point\n  input: {bits: 6}\n";
  std::string text = std::string(kBase) + "hardware: {preset: " + dir +
                     "/hw.yaml, weight: {bits: 4}, exclude: [fc2], layers: {fc1: {input: {bits: 3}}}}\n";
  run::RunConfig c = run::load_run_config(write(text));
  YAML::Node base = c.hardware.base.dump();
  EXPECT_EQ(base["type"].as<std::string>(), "fixed_point");
  EXPECT_EQ(base["input"]["bits"].as<int>(), 6);   // from the preset
  EXPECT_EQ(base["weight"]["bits"].as<int>(), 4);  // overridden inline
  YAML::Node fc1 = c.hardware.for_layer("fc1").dump();
  EXPECT_EQ(fc1["input"]["bits"].as<int>(), 3);
  EXPECT_EQ(fc1["weight"]["bits"].as<int>(), 4);
  EXPECT_EQ(c.hardware.for_layer("fc2").type(), "ideal");
  // An unknown key inside the preset names the preset file.
  std::ofstream(dir + "/bad.yaml") << "hardware:\n  type: fixed_point\n  inptu: {bits: 6}\n";
  std::string e = config_error_of(std::string(kBase) + "hardware: " + dir + "/bad.yaml\n");
  EXPECT_NE(e.find("bad.yaml:3:3"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'input'"), std::string::npos) << e;
  // --set into a hardware given as a preset path: the preset plus that override.
  run::RunConfig d = run::load_run_config(write(std::string(kBase) + "hardware: " + dir + "/hw.yaml\n"),
                                                {"hardware.weight.bits=5"});
  EXPECT_EQ(d.hardware.base.dump()["input"]["bits"].as<int>(), 6);
  EXPECT_EQ(d.hardware.base.dump()["weight"]["bits"].as<int>(), 5);
  // Other scalars still cannot take keys.
  EXPECT_NE(config_error_of(kBase, {"name.x=1"}).find("cannot set a key inside the value 't'"), std::string::npos);
}

TEST(Config, LayerNamesAreCheckedAgainstTheModel) {
  std::string text = std::string(kBase) + "hardware: {type: fixed_point, exclude: [fc9]}\n";
  run::RunConfig c = run::load_run_config(write(text));
  auto m = c.model.build({1, 8, 8}, 3);
  try {
    layers::attach_hardware(*m, c.hardware, 1);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string s = e.what();
    EXPECT_NE(s.find("'fc9' is not a layer"), std::string::npos) << s;
    EXPECT_NE(s.find("did you mean 'fc1'"), std::string::npos) << s;
  }
}

TEST(Config, EnvironmentExpansionInPaths) {
  setenv("AXTRAIN_TEST_OUT", "/tmp/axt-out", 1);
  run::RunConfig c = run::load_run_config(write(std::string(kBase) + "output: {dir: '${AXTRAIN_TEST_OUT}/r'}\n"));
  EXPECT_EQ(c.output.dir, "/tmp/axt-out/r");
}

TEST(Config, DumpedConfigFindsAPresetGivenRelativeToItsFolder) {
  // configs/x.yaml says `preset: hw/p.yaml` (beside it); the run's config.yaml lives elsewhere and
  // must still load, with the same run id.
  std::string dir = test::temp_dir("config-preset");
  boost::filesystem::create_directories(dir + "/configs/hw");
  std::ofstream(dir + "/configs/hw/p.yaml") << "hardware: {type: fixed_point, input: {bits: 6}}\n";
  std::ofstream(dir + "/configs/x.yaml") << "name: x\ndata: {type: synthetic, shape: [4], classes: 2}\n"
                                            "model: {type: mlp, hidden: [3]}\nhardware: {preset: hw/p.yaml, weight: {bits: 5}}\n"
                                            "phases: [{name: p, epochs: 1}]\n";
  run::RunConfig c = run::load_run_config(dir + "/configs/x.yaml");
  boost::filesystem::create_directories(dir + "/runs/x/1");
  std::ofstream(dir + "/runs/x/1/config.yaml") << config::to_yaml_string(c.to_yaml());
  run::RunConfig again = run::load_run_config(dir + "/runs/x/1/config.yaml");
  EXPECT_EQ(again.run_id(), c.run_id());
  EXPECT_EQ(again.hardware.preset, boost::filesystem::path(dir + "/configs/hw/p.yaml").lexically_normal().string());
}

}  // namespace
}  // namespace ax
