// Issue 18, bad input that used to end in exit 1 ("internal error") or a huge allocation: output
// paths that cannot be directories, oversized headers, labels and paddings, malformed metrics.
// Each is exit 2 naming the file or path, checked before anything large is allocated.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "axtrain/hw/approx_mul/lut_from_c.h"
#include "cli_hostile_util.h"
#include "data_test_util.h"

namespace ax {
namespace {

using test::Result;
using test::run_limited;

const char* kPathsRun = R"(name: paths
data: {type: synthetic, shape: [4], classes: 2, train_size: 20, test_size: 10, batch_size: 10}
model: {type: mlp, hidden: [4]}
phases: [{epochs: 1, mode: ideal}]
)";

TEST(CliHostileInput, OutputPathsThatCannotBeDirectories) {
  std::string dir = test::temp_dir("hostile-out");
  std::string cfg = dir + "/cfg.yaml", file = dir + "/a-file";
  std::ofstream(cfg) << kPathsRun;
  std::ofstream(file) << "x";
  expect_bad_input(run_limited("run " + cfg + " --quiet --out " + file + "/sub", 60), file);
  expect_bad_input(run_limited("run " + cfg + " --quiet --out /dev/null", 60), "/dev/null");
  const std::string long_name(300, 'n');
  expect_bad_input(run_limited("run " + cfg + " --quiet --out " + dir + "/" + long_name, 60), long_name);
  // a run to have a checkpoint for sensitivity
  Result ok = run_limited("run " + cfg + " --quiet --out " + dir + "/out", 60);
  ASSERT_EQ(ok.code, 0) << ok.out;
  const std::string ckpt = test::run_dir_of_output(ok.out) + "/final.pt";
  expect_bad_input(run_limited("sensitivity --checkpoint " + ckpt + " --quiet --out " + file + "/s", 60), file);
  if (!hw::amul::find_on_path("cc").empty()) {
    std::ofstream(dir + "/m.c") << "unsigned m(unsigned a, unsigned b) { return a * b; }\n";
    expect_bad_input(run_limited("lut from-c " + dir + "/m.c --function m --bits 2 --out " + file + "/t.txt", 60),
                     file);
  }
}

using test::be32;

TEST(CliHostileInput, IdxHeadersThatOverflowOrHaveNoPixels) {
  std::string dir = test::temp_dir("hostile-idx");
  std::ofstream(dir + "/labels", std::ios::binary) << be32(0x801) << be32(2) << std::string(2, '\0');
  std::ofstream(dir + "/cfg.yaml") << fmt::format(
      "data: {{type: idx, path: '{}', train_images: images, train_labels: labels, test_images: images, "
      "test_labels: labels, num_classes: 2}}\nmodel: {{type: mlp}}\nphases: [{{epochs: 1}}]\n", dir);
  // 2^16 · 2^24 · 2^24 = 2^64 wraps to 0: the size check alone would pass a header-only file
  const std::vector<std::pair<std::string, std::string>> headers{
      {be32(1u << 16) + be32(1u << 24) + be32(1u << 24), "pixels"},
      {be32(2) + be32(0) + be32(28), "0x28"},
      {be32(0xffffffffu) + be32(28) + be32(28), "4294967295 images"},
  };
  for (const auto& [h, what] : headers) {
    std::ofstream(dir + "/images", std::ios::binary) << be32(0x803) << h;
    Result r = run_limited("run " + dir + "/cfg.yaml --quiet --out " + dir + "/out", 60);
    expect_bad_input(r, dir + "/images");
    EXPECT_NE(r.out.find(what), std::string::npos) << r.out;
  }
}

TEST(CliHostileInput, CsvLabelOfABillionIsRefusedBeforeAllocating) {
  std::string dir = test::temp_dir("hostile-csv");
  std::ofstream csv(dir + "/t.csv");
  csv << "a,b,label\n";
  for (int i = 0; i < 20; ++i) csv << i << "," << i % 3 << "," << i % 2 << "\n";
  csv << "1,2,1000000000\n";
  csv.close();
  std::ofstream(dir + "/cfg.yaml") << fmt::format(
      "data: {{type: csv, path: '{}/t.csv'}}\nmodel: {{type: mlp}}\nphases: [{{epochs: 1}}]\n", dir);
  Result r = run_limited("run " + dir + "/cfg.yaml --quiet --out " + dir + "/out", 60);
  expect_bad_input(r, "t.csv:22");
  EXPECT_NE(r.out.find("1000000000"), std::string::npos) << r.out;
}

TEST(CliHostileInput, ProbePaddingBeyondALimitIsRefusedBeforeAllocating) {
  std::string dir = test::temp_dir("hostile-probe");
  std::ofstream(dir + "/hw.yaml") << "hardware: {type: ideal}\n";
  std::ofstream(dir + "/x.json") << "[[[[1, 2], [3, 4]]]]";
  std::ofstream(dir + "/w.json") << "[[[[1]]]]";
  Result r = run_limited("probe --hardware " + dir + "/hw.yaml --op conv2d --input " + dir + "/x.json --weight " + dir +
                             "/w.json --padding 65536", 60);
  expect_bad_input(r, "padding 65536");
  EXPECT_EQ(run_limited("probe --hardware " + dir + "/hw.yaml --op conv2d --input " + dir + "/x.json --weight " + dir +
                            "/w.json --padding 1", 60).code, 0);
}

TEST(CliHostileInput, MalformedMetricsJsonGivenToReport) {
  std::string dir = test::temp_dir("hostile-report");
  for (const char* text : {R"({"schema_version": 1, "epochs": 5})", R"({"schema_version": 1, "config": {"phases": 3}})",
                           R"({"schema_version": 1, "eval": 1, "final": {"test": []}})"}) {
    std::ofstream(dir + "/metrics.json") << text;
    expect_bad_input(run_limited("report " + dir + "/metrics.json", 30), dir + "/metrics.json");
  }
}

}  // namespace
}  // namespace ax
