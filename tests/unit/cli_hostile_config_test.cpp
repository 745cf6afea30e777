// Issue 18, configs: what a careless or hostile user can write in a config or on the command line
// ends in exit 2 with a message naming the file, never in a crash, a hang or exit 1.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli_hostile_util.h"

namespace ax {
namespace {

using test::Result;
using test::run_limited;

const char* kBase = R"(# a small valid run config; the line a test appends is line 5
data: {type: synthetic, shape: [6], classes: 3, train_size: 30, test_size: 12, batch_size: 10}
model: {type: mlp, hidden: [4]}
phases: [{epochs: 1, mode: ideal}]
)";

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Exit 2, the file named, and no "internal error".
TEST(CliHostileConfig, SelfReferentialAliasIsAnErrorNotACrash) {
  std::string dir = test::temp_dir("hostile-alias");
  std::string cfg = write(dir, "cfg.yaml", std::string(kBase) + "seed: &S [*S]\n");
  for (const std::string& args : {"validate " + cfg, "run " + cfg + " --out " + dir + "/out --quiet"}) {
    Result r = run_limited(args, 60);
    expect_bad_input(r, "cfg.yaml:5:");
    EXPECT_NE(r.out.find("nested deeper"), std::string::npos) << r.out;
  }
}

TEST(CliHostileConfig, AliasBombIsRejectedQuickly) {
  // ten aliases per level over eight levels: 10^8 values from under 400 bytes
  std::string text = std::string(kBase) + "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    std::string list;
    for (int k = 0; k < 10; ++k) list += fmt::format("{}*b{}", k ? ", " : "", i - 1);
    text += fmt::format("bomb{}: &b{} [{}]\n", i, i, list);
  }
  ASSERT_LT(text.size(), 1000u);
  std::string dir = test::temp_dir("hostile-bomb");
  Result r = run_limited("validate " + write(dir, "cfg.yaml", text), 30);
  expect_bad_input(r, "cfg.yaml:");
  EXPECT_NE(r.out.find("expands to more than"), std::string::npos) << r.out;
}

TEST(CliHostileConfig, MappingAsKeyIsAnError) {
  std::string dir = test::temp_dir("hostile-mapkey");
  Result r = run_limited("validate " + write(dir, "cfg.yaml", std::string(kBase) + "{a: 1}: y\n"), 30);
  expect_bad_input(r, "cfg.yaml:5:");
  EXPECT_NE(r.out.find("a key must be a plain name"), std::string::npos) << r.out;
}

TEST(CliHostileConfig, DeepNestingSaysSoAtEveryDepth) {
  std::string dir = test::temp_dir("hostile-deep");
  for (int depth : {100, 500, 5000}) {
    std::string text = std::string(kBase) + "seed: " + std::string(depth, '[') + "1" + std::string(depth, ']') + "\n";
    Result r = run_limited("validate " + write(dir, "cfg.yaml", text), 30);
    expect_bad_input(r, "cfg.yaml:5:");
    EXPECT_NE(r.out.find("nested deeper than"), std::string::npos) << depth << ": " << r.out;
  }
}

TEST(CliHostileConfig, EmptySetValueAndEmptyGridCellAreErrors) {
  std::string dir = test::temp_dir("hostile-empty");
  std::string cfg = write(dir, "cfg.yaml", kBase);
  expect_bad_input(run_limited("validate " + cfg + " --set data.batch_size=", 30), "data.batch_size=");
  expect_bad_input(run_limited("validate " + cfg + " --set 'data.batch_size= '", 30), "empty");
  Result g = run_limited("sweep " + cfg + " --grid optimizer.lr=1,,2 --out " + dir + "/sweep", 30);
  expect_bad_input(g, "optimizer.lr=1,,2");
  EXPECT_NE(g.out.find("empty"), std::string::npos) << g.out;
  expect_bad_input(run_limited("sweep " + cfg + " --grid optimizer.lr=1,2, --out " + dir + "/sweep", 30), "empty");
  // an explicit null still means "leave it out"
  EXPECT_EQ(run_limited("validate " + cfg + " --set hardware=null", 30).code, 0);
}

TEST(CliHostileConfig, ErrorsInTheFileKeepTheirLineWhenSetIsGiven) {
  std::string dir = test::temp_dir("hostile-line");
  std::string cfg = write(dir, "cfg.yaml", std::string(kBase) + "eval: {every: 0}\n");
  Result r = run_limited("validate " + cfg + " --set seed=3 --set optimizer.lr=0.5", 30);
  expect_bad_input(r, "cfg.yaml:5:");
  EXPECT_NE(r.out.find("eval.every"), std::string::npos) << r.out;
  // a value that came from --set says so
  Result s = run_limited("validate " + cfg + " --set eval.every=-1", 30);
  expect_bad_input(s, "(--set)");
  // an oversized list index is bad input, not an internal stoul failure
  expect_bad_input(run_limited("validate " + cfg + " --set phases.99999999999999999999999.epochs=1", 30),
                   "is not an index");
}

TEST(CliHostileConfig, NameDotOrDotDotCannotLeaveTheOutputFolder) {
  std::string dir = test::temp_dir("hostile-name");
  for (const char* name : {"..", "."}) {
    std::string cfg = write(dir, "cfg.yaml", std::string(kBase) + "name: '" + name + "'\n");
    Result r = run_limited("run " + cfg + " --out " + dir + "/a/b --quiet", 60);
    expect_bad_input(r, "cfg.yaml:5:");
    EXPECT_NE(r.out.find("name"), std::string::npos) << r.out;
    EXPECT_FALSE(test::exists(dir + "/a")) << name;
    expect_bad_input(run_limited("validate " + write(dir, "c2.yaml", kBase) + " --set name=" + name, 30), "name");
  }
}

}  // namespace
}  // namespace ax
