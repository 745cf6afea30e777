// CSV / ARFF tables: values, stratified and row-range splits, standardisation, error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/data/tabular.h"
#include "axtrain/data/tensor_dataset.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

namespace fs = boost::filesystem;
using data::Part;

const data::TensorDataset& tensors(const std::unique_ptr<data::Dataset>& ds) {
  return dynamic_cast<const data::TensorDataset&>(*ds);
}

// 100 rows: id (row index 0..99), v = id * 0.5 - 7, label = 0 for rows 0..49, 1 for 50..79,
// 2 for 80..99 (class sizes 50 / 30 / 20).
std::string three_class_csv(const std::string& dir) {
  std::string text = "id,v,label\n";
  for (int i = 0; i < 100; ++i) text += fmt::format("{},{},{}\n", i, i * 0.5 - 7, i < 50 ? 0 : i < 80 ? 1 : 2);
  std::string path = dir + "/three.csv";
  test::write_text(path, text);
  return path;
}

std::vector<int> ids(const data::Split& s) {
  std::vector<int> out;
  for (std::int64_t i = 0; i < s.x.size(0); ++i) out.push_back(static_cast<int>(std::lround(s.x[i][0].item<float>())));
  return out;
}

std::string tabular_error_of(const std::string& yaml) {
  try {
    test::data_spec(yaml).open(1);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no DataError";
}

TEST(Tabular, CsvValuesLabelsAndRowRanges) {
  std::string dir = test::temp_dir("csv");
  std::string path = three_class_csv(dir);
  auto ds = test::data_spec(fmt::format(
      "{{type: csv, path: '{}', standardise: false, split: {{train_rows: [1, 60], test_rows: [61, 100]}}}}", path)).open(1);
  EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ds->num_classes(), 3);
  const auto& tr = tensors(ds).split(Part::Train);
  const auto& te = tensors(ds).split(Part::Test);
  ASSERT_EQ(tr.x.size(0), 60);
  ASSERT_EQ(te.x.size(0), 40);
  EXPECT_EQ(tr.x.scalar_type(), torch::kFloat32);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(tr.x[i][0].item<float>(), i);
    EXPECT_FLOAT_EQ(tr.x[i][1].item<float>(), i * 0.5f - 7);
    EXPECT_EQ(tr.y[i].item<std::int64_t>(), i < 50 ? 0 : 1);
  }
  EXPECT_EQ(te.x[0][0].item<float>(), 60);
  EXPECT_EQ(te.y[39].item<std::int64_t>(), 2);
  // num_classes may exceed the labels present.
  auto wide = test::data_spec(fmt::format("{{type: csv, path: '{}', num_classes: 7}}", path)).open(1);
  EXPECT_EQ(wide->num_classes(), 7);
  EXPECT_NE(tabular_error_of(fmt::format("{{type: csv, path: '{}', num_classes: 2}}", path)).find("three.csv"), std::string::npos);
  // A range past the end of the file.
  EXPECT_NE(tabular_error_of(fmt::format("{{type: csv, path: '{}', split: {{train_rows: [1, 60], test_rows: [61, 101]}}}}", path))
                .find("100 data rows"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Tabular, StratifiedSplitSizesAndDeterminism) {
  std::string dir = test::temp_dir("csv");
  std::string path = three_class_csv(dir);
  auto open = [&](std::uint64_t seed) {
    return test::data_spec(fmt::format("{{type: csv, path: '{}', standardise: false}}", path)).open(seed);
  };
  auto a = open(1), b = open(1), c = open(2);
  const auto& te = tensors(a).split(Part::Test);
  const auto& tr = tensors(a).split(Part::Train);
  ASSERT_EQ(te.x.size(0), 20);
  ASSERT_EQ(tr.x.size(0), 80);
  // 20% of each class: 10 / 6 / 4 in test.
  EXPECT_EQ(te.y.eq(0).sum().item<std::int64_t>(), 10);
  EXPECT_EQ(te.y.eq(1).sum().item<std::int64_t>(), 6);
  EXPECT_EQ(te.y.eq(2).sum().item<std::int64_t>(), 4);
  // Train and test partition the rows; labels stay with their rows.
  std::set<int> all;
  for (int id : ids(tr)) all.insert(id);
  for (int id : ids(te)) all.insert(id);
  EXPECT_EQ(all.size(), 100u);
  for (std::int64_t i = 0; i < te.x.size(0); ++i) {
    int id = ids(te)[i];
    EXPECT_EQ(te.y[i].item<std::int64_t>(), id < 50 ? 0 : id < 80 ? 1 : 2);
  }
  EXPECT_EQ(ids(te), ids(tensors(b).split(Part::Test)));  // same seed, same split
  EXPECT_NE(ids(te), ids(tensors(c).split(Part::Test)));  // another seed, another split
  auto quarter = test::data_spec(fmt::format("{{type: csv, path: '{}', test_fraction: 0.25}}", path)).open(1);
  EXPECT_EQ(quarter->size(Part::Test), 25);  // 12.5 -> 12 or 13, 7.5, 5 summing to 25
  fs::remove_all(dir);
}

TEST(Tabular, StratifiedSplitLargestRemainder) {
  // Classes of 7 and 3 rows, f = 0.3: exact shares 2.1 and 0.9; floors 2 + 0, total round(3) = 3,
  // so the class with remainder 0.9 gets the extra row.
  std::vector<std::int64_t> y{0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  auto [train, test] = data::stratified_split(y, 0.3, 5);
  ASSERT_EQ(test.size(), 3u);
  int ones = 0;
  for (auto i : test) ones += y[i] == 1;
  EXPECT_EQ(ones, 1);
  EXPECT_EQ(train.size(), 7u);
}

TEST(Tabular, StandardiseWithTrainStatistics) {
  std::string dir = test::temp_dir("csv");
  // f0 varies, f1 is constant, f2 = i^2; rows 1..40 train, 41..50 test.
  std::string text = "f0,f1,f2,label\n";
  std::vector<double> f0, f2;
  for (int i = 0; i < 50; ++i) {
    f0.push_back(std::sin(i * 1.3) * 4 + 10);
    f2.push_back(i * i);
    text += fmt::format("{},{},{},{}\n", f0.back(), 9, f2.back(), i % 2);
  }
  test::write_text(dir + "/s.csv", text);
  auto ds = test::data_spec(fmt::format(
      "{{type: csv, path: '{}/s.csv', split: {{train_rows: [1, 40], test_rows: [41, 50]}}}}", dir)).open(3);
  const auto& tr = tensors(ds).split(Part::Train);
  const auto& te = tensors(ds).split(Part::Test);
  for (int f : {0, 2}) {
    EXPECT_NEAR(tr.x.select(1, f).mean().item<double>(), 0.0, 1e-5);
    EXPECT_NEAR(tr.x.select(1, f).std(/*unbiased=*/false).item<double>(), 1.0, 1e-5);
  }
  EXPECT_EQ(tr.x.select(1, 1).abs().max().item<float>(), 0.0f);  // constant feature -> 0
  EXPECT_EQ(te.x.select(1, 1).abs().max().item<float>(), 0.0f);
  // A test row uses the train mean and std (computed here in double from rows 0..39).
  double mean = 0, var = 0;
  for (int i = 0; i < 40; ++i) mean += f2[i] / 40;
  for (int i = 0; i < 40; ++i) var += (f2[i] - mean) * (f2[i] - mean) / 40;
  EXPECT_NEAR(te.x[5][2].item<double>(), (f2[45] - mean) / std::sqrt(var), 1e-4);
  fs::remove_all(dir);
}

TEST(Tabular, ArffNumericAttributesAndNominalClass) {
  std::string dir = test::temp_dir("arff");
  test::write_text(dir + "/t.arff",
                   "% a comment\n"
                   "@RELATION test\n\n"
                   "@attribute 'first value' numeric\n"
                   "@attribute b REAL\n"
                   "% another comment\n"
                   "@attribute class {bad, good, 'so so'}\n"
                   "@DATA\n"
                   "1.5, -2, good\n"
                   "3,4e1,bad\n"
                   "% comment between rows\n"
                   "0.25,7,'so so'\n"
                   "5,6,good\n"
                   "6,7,bad\n");
  auto ds = test::data_spec(fmt::format(
      "{{type: arff, path: '{}/t.arff', standardise: false, split: {{train_rows: [1, 3], test_rows: [4, 5]}}}}", dir)).open(1);
  EXPECT_EQ(ds->num_classes(), 3);  // declared values, in declaration order
  const auto& tr = tensors(ds).split(Part::Train);
  EXPECT_FLOAT_EQ(tr.x[0][0].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(tr.x[0][1].item<float>(), -2.0f);
  EXPECT_FLOAT_EQ(tr.x[1][1].item<float>(), 40.0f);
  EXPECT_FLOAT_EQ(tr.x[2][0].item<float>(), 0.25f);
  EXPECT_EQ(tr.y[0].item<std::int64_t>(), 1);
  EXPECT_EQ(tr.y[1].item<std::int64_t>(), 0);
  EXPECT_EQ(tr.y[2].item<std::int64_t>(), 2);
  EXPECT_EQ(tensors(ds).split(Part::Test).y[1].item<std::int64_t>(), 0);
  fs::remove_all(dir);
}

struct BadFile {
  const char* name;
  const char* text;
  const char* expect;  // in the message, besides the file name
};

TEST(Tabular, CsvErrorsNameFileAndLine) {
  std::string dir = test::temp_dir("csv");
  const BadFile cases[] = {
      {"ragged.csv", "a,b,label\n1,2,0\n1,2\n", "ragged.csv:3:"},
      {"text.csv", "a,b,label\n1,2,0\n1,x2,1\n", "text.csv:3:"},
      {"nan.csv", "a,b,label\n1,nan,0\n", "nan.csv:2:"},
      {"frac.csv", "a,b,label\n1,2,0\n\n1,2,1.5\n", "frac.csv:4:"},
      {"neg.csv", "a,b,label\n1,2,-1\n", "neg.csv:2:"},
      {"empty.csv", "", "empty"},
      {"header.csv", "a,b,label\n", "no data rows"},
  };
  for (const auto& c : cases) {
    test::write_text(dir + "/" + c.name, c.text);
    std::string msg = tabular_error_of(fmt::format("{{type: csv, path: '{}/{}'}}", dir, c.name));
    EXPECT_NE(msg.find(c.name), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
  std::string missing = tabular_error_of(fmt::format("{{type: csv, path: '{}/none.csv'}}", dir));
  EXPECT_NE(missing.find("none.csv"), std::string::npos) << missing;
  fs::remove_all(dir);
}

TEST(Tabular, ArffErrorsNameFileAndLine) {
  std::string dir = test::temp_dir("arff");
  const std::string head = "@relation r\n@attribute a numeric\n@attribute c {x, y}\n@data\n";
  const BadFile cases[] = {
      {"ragged.arff", "1,x\n2\n", "ragged.arff:6:"},
      {"text.arff", "1,x\nq,y\n", "text.arff:6:"},
      {"class.arff", "1,x\n2,z\n", "class.arff:6:"},
      {"missing.arff", "?,x\n", "missing.arff:5:"},
      {"empty.arff", "", "empty"},
      {"nodata.arff", "", "no data rows"},
      {"string.arff", "", "string.arff:2:"},
  };
  for (const auto& c : cases) {
    std::string text = std::string(c.name) == "empty.arff" ? "% only a comment\n"
                       : std::string(c.name) == "string.arff"
                           ? "@relation r\n@attribute a string\n@attribute c {x, y}\n@data\n1,x\n"
                           : head + c.text;
    test::write_text(dir + "/" + c.name, text);
    std::string msg = tabular_error_of(fmt::format("{{type: arff, path: '{}/{}'}}", dir, c.name));
    EXPECT_NE(msg.find(c.name), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
  fs::remove_all(dir);
}

TEST(Tabular, UciBreastCancer) {
  std::string path = test::shared_dir() + "/data/uci/breast_cancer.csv";
  if (!fs::exists(path)) GTEST_SKIP() << "../shared/data/uci is absent (" << path << ")";
  auto ds = test::data_spec(fmt::format("{{type: csv, path: '{}'}}", path)).open(1);
  EXPECT_EQ(ds->size(Part::Train) + ds->size(Part::Test), 569);
  EXPECT_EQ(ds->size(Part::Test), 114);  // round(0.2 * 569)
  EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{30}));
  EXPECT_EQ(ds->num_classes(), 2);
  // Stratified: 212 malignant (0) and 357 benign (1) split 20/80 within one row.
  std::int64_t test0 = tensors(ds).split(Part::Test).y.eq(0).sum().item<std::int64_t>();
  EXPECT_NEAR(static_cast<double>(test0), 0.2 * 212, 1.0);
  std::int64_t all0 = test0 + tensors(ds).split(Part::Train).y.eq(0).sum().item<std::int64_t>();
  EXPECT_EQ(all0, 212);
}

}  // namespace
}  // namespace ax
