// Readers of numeric tables: CSV (header row, label last) and ARFF (numeric attributes, nominal
// class attribute last). Every format error is a DataError naming file:line and the problem.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ax::data {

struct Table {
  std::vector<std::string> feature_names;
  std::vector<double> x;            // row-major [rows, features]
  std::vector<std::int64_t> y;      // one label per row, >= 0
  std::int64_t declared_classes = 0;  // ARFF: number of declared class values; CSV: 0
  std::int64_t rows() const { return static_cast<std::int64_t>(y.size()); }
  std::int64_t features() const { return static_cast<std::int64_t>(feature_names.size()); }
};

// CSV: the first non-blank line is the header; each further non-blank line has as many
// comma-separated cells as the header: numeric features, then an integer label >= 0.
// Errors: empty file, no data rows, ragged rows, non-numeric or non-finite cells, non-integer or
// negative labels.
Table read_csv(const std::string& file);

// ARFF: @relation, @attribute NAME numeric|real|integer (features) and a last attribute
// NAME {v1, v2, ...} (the class; value k-th in the declaration -> label k), then @data and
// comma-separated rows. Lines starting with % are comments; keywords are case-insensitive; names
// and values may be quoted. Not supported (DataError): string/date/nominal features, sparse rows,
// missing values ('?').
Table read_arff(const std::string& file);

}  // namespace ax::data
