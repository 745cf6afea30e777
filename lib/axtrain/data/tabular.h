// Tabular data sets (the UCI sets of AxTrain Table 1): numeric features and an integer class, from
// one CSV or ARFF file (formats: table_reader.h), split into train and test, z-scored.
//
// YAML: {type: csv | arff, path: FILE, num_classes: 0, split: random, test_fraction: 0.2,
//        standardise: true}
//   or  {type: csv, path: FILE, split: {train_rows: [1, 1500], test_rows: [1501, 2310]}}
// Features become float [N, F] rows of a TensorDataset.
#pragma once
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "axtrain/config/options.h"
#include "axtrain/data/spec.h"

namespace ax::data {

struct TabularOptions final : DatasetOptions {
  enum class Format { Csv, Arff } format = Format::Csv;
  std::string path;  // the file (required)
  // Number of classes (model outputs), >= 2; 0 = automatic: max label + 1 (CSV) or the number
  // of declared class values (ARFF). May exceed the labels present (satimage: 7 outputs, 6 used).
  std::int64_t num_classes = 0;
  // random: stratified split drawn from the run seed; each class contributes its share of the
  // test part (largest-remainder rounding, total round(test_fraction * N)). rows: fixed ranges.
  enum class Split { Random, Rows } split = Split::Random;
  double test_fraction = 0.2;  // random split: fraction of rows in the test part, in (0, 1)
  // rows split: 1-based inclusive data-row ranges (header/comments not counted); rows in neither
  // range are unused; the ranges may not overlap.
  std::array<std::int64_t, 2> train_rows{0, 0}, test_rows{0, 0};
  // z-score each feature with the mean and (population) std of the train part; features
  // constant on the train part become 0 in both parts.
  bool standardise = true;

  std::string type() const override { return format == Format::Csv ? "csv" : "arff"; }
  void dump(YAML::Node& out) const override;
  std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const override;
  static const config::Options<TabularOptions>& options();
  static DatasetParser parser(Format format);
  static std::vector<OptionRow> keys(Format format);
};

// Stratified random split of rows by label: returns (train, test) row indices, each ascending.
// Per class c with n_c rows, floor(f * n_c) go to test, and the rows still missing from
// round(f * N) go one each to the classes with the largest remainders (ties: lower class).
// Rows within a class are chosen by a shuffle seeded from `seed`.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> stratified_split(
    const std::vector<std::int64_t>& labels, double test_fraction, std::uint64_t seed);

}  // namespace ax::data
