// Run summaries from planted metrics.json documents: means over epochs, phases, eval runs, errors.
#include <cmath>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/report/summary.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

const char* kTrain = R"({"schema_version": 1, "name": "r", "run_id": "abc",
 "config": {"hardware": {"type": "sc"}, "phases": [{"name": "inject", "mode": "inject", "epochs": 1.5},
                                                   {"name": "ft", "mode": "exact", "epochs": 0.5}]},
 "epochs": [{"seconds": {"data": 1, "forward": 2, "backward": 3, "calibration": 4, "eval": 5}, "images_per_s": 100},
            {"seconds": {"data": 2, "forward": 2, "backward": 2, "calibration": 0, "eval": 7}, "images_per_s": 300}],
 "final": {"test": {"accuracy": 0.75, "loss": 0.5}}, "wall_seconds": 42, "peak_rss_bytes": 1048576})";

TEST(Report, MeansOverEpochsAndPhaseList) {
  report::RunSummary s = report::summarize(nlohmann::json::parse(kTrain), "x/metrics.json");
  EXPECT_EQ(s.kind, "train");
  EXPECT_EQ(s.hardware, "sc");
  EXPECT_EQ(s.phases, "inject:inject×1.5 + ft:exact×0.5");
  EXPECT_DOUBLE_EQ(s.epochs, 2.0);
  EXPECT_DOUBLE_EQ(s.train_s_per_epoch, (10.0 + 6.0) / 2);  // data + forward + backward + calibration
  EXPECT_DOUBLE_EQ(s.calibration_s_per_epoch, 2.0);
  EXPECT_DOUBLE_EQ(s.eval_s, 12.0);
  EXPECT_DOUBLE_EQ(s.images_per_s, 200.0);
  EXPECT_DOUBLE_EQ(s.test_accuracy, 0.75);
  std::string md = report::format_markdown({s});
  EXPECT_NE(md.find("| r/abc | train | sc | inject:inject×1.5 + ft:exact×0.5 | 0.7500 | 8.0 | 2.0 | 200 | 12.0 | 1 |"),
            std::string::npos)
      << md;
}

// The typed reader of metrics.json: every field the experiment tables, plots and --resume read.
TEST(Report, TypedReaderOfPlantedMetrics) {
  const std::string dir = test::temp_dir("report-reader");
  test::write_text(dir + "/m.json", R"({"name": "r", "status": "complete", "started": "2026-12-07T10:00:00Z",
    "epochs": [{"epoch": 1, "seconds": {}, "test": {"accuracy": 0.5}}, {"epoch": 2, "seconds": {}},
               {"epoch": 3, "seconds": {}, "test": {"accuracy": 0.625}}],
    "eval": {"seconds": 1, "output_deviation_computed": true},
    "power": {"relative_compute": 0.25, "relative_storage": 0.5},
    "final": {"test": {"accuracy": 0.625, "output_deviation": 0.125}}, "wall_seconds": 9})");
  const auto s = report::read_summary(dir + "/m.json");
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->complete());
  EXPECT_EQ(s->started, "2026-12-07T10:00:00Z");
  EXPECT_TRUE(s->output_deviation_computed);
  EXPECT_DOUBLE_EQ(s->relative_compute_power, 0.25);
  EXPECT_DOUBLE_EQ(s->relative_storage_power, 0.5);
  EXPECT_DOUBLE_EQ(s->output_deviation, 0.125);
  EXPECT_DOUBLE_EQ(s->wall_s, 9);
  EXPECT_EQ(s->test_curve, (std::vector<std::pair<double, double>>{{1, 0.5}, {3, 0.625}}));
  // A diverged run, a run with no power, a cut-short file and a missing one.
  test::write_text(dir + "/d.json", R"({"name": "r", "status": "diverged", "epochs": []})");
  const auto d = report::read_summary(dir + "/d.json");
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->complete());
  EXPECT_EQ(d->status, "diverged");
  EXPECT_TRUE(std::isnan(d->relative_compute_power));
  EXPECT_FALSE(d->output_deviation_computed);
  test::write_text(dir + "/cut.json", R"({"name": "r", "status": "comp)");
  EXPECT_FALSE(report::read_summary(dir + "/cut.json").has_value());
  EXPECT_FALSE(report::read_summary(dir + "/none.json").has_value());
  boost::filesystem::remove_all(dir);
}

TEST(Report, EvalRunsAndDirectoriesAndErrors) {
  std::string dir = test::temp_dir("report");
  boost::filesystem::create_directories(dir + "/a/1");
  test::write_text(dir + "/a/1/metrics.json", kTrain);
  boost::filesystem::create_directories(dir + "/b/2");
  test::write_text(dir + "/b/2/metrics.json",
                   R"({"schema_version": 1, "name": "e", "config": {"hardware": {"type": "ntv"}}, "epochs": [],
                       "eval": {"seconds": 3.5}, "final": {"test": {"accuracy": 0.5, "accuracy_std": 0.1, "repeats": 4}}})");
  auto runs = report::collect_runs({dir});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].kind, "eval");
  EXPECT_DOUBLE_EQ(runs[1].eval_s, 3.5);
  EXPECT_NE(report::format_markdown(runs).find("0.5000 ± 0.1000 (4×)"), std::string::npos);
  EXPECT_NE(report::format_csv(runs).find(",ntv,"), std::string::npos);
  test::write_text(dir + "/bad.json", "{\"x\": 1}");
  EXPECT_THROW(report::collect_runs({dir + "/bad.json"}), DataError);
  EXPECT_THROW(report::collect_runs({dir + "/missing"}), DataError);
  boost::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ax
