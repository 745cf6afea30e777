#include "axtrain/data/spec.h"

#include <limits>

#include "axtrain/config/section.h"
#include "axtrain/data/subset.h"

namespace ax::data {

namespace {
constexpr std::int64_t kMaxI = std::numeric_limits<std::int64_t>::max();

YAML::Node flow(const std::vector<double>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (double d : v) n.push_back(d);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}
}  // namespace

Registry<DatasetParser>& dataset_registry() {
  static Registry<DatasetParser> r("dataset type");
  return r;
}

DataSpec DataSpec::parse(config::Section& s) {
  register_all();
  DataSpec d;
  d.type = s.require_string("type");
  d.options = dataset_registry().get(d.type, s.where("type"))(s);
  d.batch_size = s.get_int("batch_size", d.batch_size, 1, 1 << 20);
  d.test_batch_size = s.get_int("test_batch_size", d.test_batch_size, 1, 1 << 20);
  d.limit_train = s.get_int("limit_train", 0, 0, kMaxI);
  d.limit_test = s.get_int("limit_test", 0, 0, kMaxI);
  d.workers = s.get_int("workers", 0, 0, 1024);

  YAML::Node norm = s.raw("normalisation");
  if (norm.IsDefined() && norm.IsMap()) {
    config::Section ns = s.section("normalisation");
    d.normalisation.kind = Normalisation::Kind::Custom;
    d.normalisation.mean = ns.get_double_list("mean", {}, -1e9, 1e9);
    d.normalisation.std = ns.get_double_list("std", {}, 1e-12, 1e9);
    if (d.normalisation.mean.empty() || d.normalisation.mean.size() != d.normalisation.std.size())
      ns.fail("std", "mean and std must be non-empty lists of the same length");
    ns.finish();
  } else {
    d.normalisation.kind = s.get_choice<Normalisation::Kind>(
        "normalisation", Normalisation::Kind::None,
        {{"none", Normalisation::Kind::None}, {"dataset", Normalisation::Kind::Dataset}});
  }

  YAML::Node aug = s.raw("augmentation");
  if (aug.IsDefined() && aug.IsMap()) {
    config::Section as = s.section("augmentation");
    d.augmentation.crop_padding = as.get_int("crop_padding", 0, 0, 1024);
    d.augmentation.flip = as.get_bool("flip", false);
    as.finish();
  } else {
    enum class A { None, CropFlip, Flip };
    A a = s.get_choice<A>("augmentation", A::None,
                          {{"none", A::None}, {"crop_flip", A::CropFlip}, {"flip", A::Flip}});
    if (a == A::CropFlip) d.augmentation = {4, true};
    if (a == A::Flip) d.augmentation = {0, true};
  }
  return d;
}

YAML::Node DataSpec::dump() const {
  YAML::Node n;
  n["type"] = type;
  options->dump(n);
  n["batch_size"] = batch_size;
  n["test_batch_size"] = test_batch_size;
  if (normalisation.kind == Normalisation::Kind::Custom) {
    n["normalisation"]["mean"] = flow(normalisation.mean);
    n["normalisation"]["std"] = flow(normalisation.std);
  } else {
    n["normalisation"] = normalisation.kind == Normalisation::Kind::None ? "none" : "dataset";
  }
  n["augmentation"]["crop_padding"] = augmentation.crop_padding;
  n["augmentation"]["flip"] = augmentation.flip;
  n["limit_train"] = limit_train;
  n["limit_test"] = limit_test;
  n["workers"] = workers;
  return n;
}

std::unique_ptr<Dataset> DataSpec::open(std::uint64_t seed) const {
  std::unique_ptr<Dataset> ds = options->open(*this, seed);
  if (limit_train > 0 || limit_test > 0)
    ds = std::make_unique<SubsetDataset>(std::move(ds), limit_train, limit_test);
  return ds;
}

}  // namespace ax::data
