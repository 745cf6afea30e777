#include "axtrain/data/tabular.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <tuple>

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/data/table_reader.h"
#include "axtrain/data/tensor_dataset.h"

namespace ax::data {

std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> stratified_split(
    const std::vector<std::int64_t>& labels, double test_fraction, std::uint64_t seed) {
  std::map<std::int64_t, std::vector<std::int64_t>> by_class;
  for (std::size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<std::int64_t>(i));
  const auto n = static_cast<double>(labels.size());
  auto total = static_cast<std::int64_t>(std::llround(test_fraction * n));
  struct Share {
    std::int64_t cls, take;
    double rest;
  };
  std::vector<Share> shares;
  std::int64_t taken = 0;
  for (const auto& [c, rows] : by_class) {
    double exact = test_fraction * static_cast<double>(rows.size());
    auto take = static_cast<std::int64_t>(std::floor(exact + 1e-9));
    shares.push_back({c, take, exact - static_cast<double>(take)});
    taken += take;
  }
  std::vector<std::size_t> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return shares[a].rest > shares[b].rest + 1e-9;
  });
  for (std::size_t k = 0; taken < total && k < order.size(); ++k, ++taken) shares[order[k]].take += 1;

  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 0x7ab1e5ull);
  std::vector<std::int64_t> train, test;
  for (const auto& sh : shares) {
    std::vector<std::int64_t> rows = by_class[sh.cls];
    std::shuffle(rows.begin(), rows.end(), rng);
    test.insert(test.end(), rows.begin(), rows.begin() + sh.take);
    train.insert(train.end(), rows.begin() + sh.take, rows.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  return {train, test};
}

namespace {
std::vector<std::int64_t> range_rows(const std::array<std::int64_t, 2>& r, std::int64_t n,
                                     const std::string& file, const char* key) {
  if (r[1] > n)
    throw DataError(fmt::format("{}: split.{} [{}, {}] ends past the last of its {} data rows", file,
                                key, r[0], r[1], n));
  std::vector<std::int64_t> rows(static_cast<std::size_t>(r[1] - r[0] + 1));
  std::iota(rows.begin(), rows.end(), r[0] - 1);
  return rows;
}

torch::Tensor gather(const Table& t, const std::vector<std::int64_t>& rows) {
  const std::int64_t f = t.features();
  torch::Tensor x = torch::empty({static_cast<std::int64_t>(rows.size()), f}, torch::kFloat64);
  double* p = x.data_ptr<double>();
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(t.x.begin() + rows[i] * f, f, p + static_cast<std::int64_t>(i) * f);
  return x;
}

torch::Tensor labels(const Table& t, const std::vector<std::int64_t>& rows) {
  std::vector<std::int64_t> y;
  y.reserve(rows.size());
  for (auto r : rows) y.push_back(t.y[static_cast<std::size_t>(r)]);
  return torch::tensor(y, torch::kInt64);
}
}  // namespace

std::unique_ptr<Dataset> TabularOptions::open(const DataSpec& spec, std::uint64_t seed) const {
  Table t = format == Format::Csv ? read_csv(path) : read_arff(path);
  const std::int64_t max_label = *std::max_element(t.y.begin(), t.y.end());
  constexpr std::int64_t kMaxClasses = 1 << 20;  // as data.num_classes; checked before any allocation
  if (max_label >= kMaxClasses || t.declared_classes > kMaxClasses)
    throw DataError(fmt::format("{}: label {} found; allowed: labels 0..{} (at most {} classes)", path,
                                std::max(max_label, t.declared_classes - 1), kMaxClasses - 1, kMaxClasses));
  std::int64_t classes = num_classes > 0 ? num_classes : std::max(max_label + 1, t.declared_classes);
  classes = std::max<std::int64_t>(classes, 2);
  if (max_label >= classes)
    throw DataError(fmt::format("{}: label {} found but data.num_classes is {} (labels must be 0..{})",
                                path, max_label, classes, classes - 1));

  std::vector<std::int64_t> train, test;
  if (split == Split::Random) {
    std::tie(train, test) = stratified_split(t.y, test_fraction, seed);
  } else {
    train = range_rows(train_rows, t.rows(), path, "train_rows");
    test = range_rows(test_rows, t.rows(), path, "test_rows");
  }
  if (train.empty() || test.empty())
    throw DataError(fmt::format("{}: the split leaves the {} part empty ({} rows in the file)", path,
                                train.empty() ? "train" : "test", t.rows()));

  torch::Tensor xtr = gather(t, train), xte = gather(t, test);
  if (standardise) {
    torch::Tensor mean = xtr.mean(0, /*keepdim=*/true);
    torch::Tensor sd = xtr.std(0, /*unbiased=*/false, /*keepdim=*/true);
    torch::Tensor constant = sd <= 1e-9 * torch::clamp_min(mean.abs(), 1.0);
    torch::Tensor inv = torch::where(constant, torch::zeros_like(sd), 1.0 / sd);
    xtr = (xtr - mean) * inv;
    xte = (xte - mean) * inv;
  }
  data::Split tr{xtr.to(torch::kFloat32).contiguous(), labels(t, train)};
  data::Split te{xte.to(torch::kFloat32).contiguous(), labels(t, test)};
  return std::make_unique<TensorDataset>(std::move(tr), std::move(te), classes, spec);
}

namespace {
std::array<std::int64_t, 2> read_range(config::Section& s, const std::string& key) {
  std::vector<std::int64_t> r = s.get_int_list(key, {}, 1, std::int64_t{1} << 40);
  if (r.size() != 2 || r[0] > r[1])
    s.fail(key, "required: [first, last], 1-based inclusive data rows with first <= last");
  return {r[0], r[1]};
}
}  // namespace

const config::Options<TabularOptions>& TabularOptions::options() {
  using O = TabularOptions;
  static const auto o =
      config::Options<O>("data (csv, arff)")
          .path("path", [](O& o) -> std::string& { return o.path; }, "the table file")
          .required("the CSV or ARFF file")
          .integer("num_classes", [](O& o) -> std::int64_t& { return o.num_classes; }, 0, 1 << 20,
                   "classes (model outputs); 0 = max label + 1 (CSV) or the class attribute's values (ARFF)")
          .check([](const O& o) { return o.num_classes == 1 ? "must be 0 (automatic) or at least 2" : ""; })
          .custom(
              "split",
              [](config::Section& s, O& o) {
                YAML::Node split = s.raw("split");
                if (split.IsDefined() && split.IsMap()) {
                  config::Section ss = s.section("split");
                  o.split = Split::Rows;
                  o.train_rows = read_range(ss, "train_rows");
                  o.test_rows = read_range(ss, "test_rows");
                  if (o.train_rows[0] <= o.test_rows[1] && o.test_rows[0] <= o.train_rows[1])
                    ss.fail("test_rows", "overlaps train_rows: a row cannot be in both parts");
                  ss.finish();
                  if (s.has("test_fraction"))
                    s.fail("test_fraction", "only for split: random (the row ranges fix the test part)");
                } else {
                  o.split = s.get_choice<Split>("split", o.split, {{"random", Split::Random}});
                }
              },
              [](const O& o, YAML::Node& n) {
                if (o.split == Split::Random) {
                  n["split"] = "random";
                  return;
                }
                auto flow = [](const std::array<std::int64_t, 2>& r) {
                  YAML::Node f(YAML::NodeType::Sequence);
                  f.push_back(r[0]);
                  f.push_back(r[1]);
                  f.SetStyle(YAML::EmitterStyle::Flow);
                  return f;
                };
                n["split"]["train_rows"] = flow(o.train_rows);
                n["split"]["test_rows"] = flow(o.test_rows);
              },
              {OptionRow{"split", "random | {train_rows: [a, b], test_rows: [c, d]}", "", "random",
                         "random: stratified by class, drawn from the run seed; or 1-based inclusive data-row ranges"}})
          .number("test_fraction", [](O& o) -> double& { return o.test_fraction; }, 1e-6, 1.0 - 1e-6,
                  "split: random only: share of the rows in the test part")
          .dump_only_if([](const O& o) { return o.split == Split::Random; })
          .boolean("standardise", [](O& o) -> bool& { return o.standardise; },
                   "z-score each feature with the training part's mean and population std");
  return o;
}

void TabularOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

DatasetParser TabularOptions::parser(Format format) {
  return [format](config::Section& s) -> std::shared_ptr<const DatasetOptions> {
    auto o = std::make_shared<TabularOptions>();
    o->format = format;
    options().parse(s, *o);
    return o;
  };
}

std::vector<OptionRow> TabularOptions::keys(Format format) {
  TabularOptions p;
  p.format = format;
  return options().rows(p);
}

}  // namespace ax::data
