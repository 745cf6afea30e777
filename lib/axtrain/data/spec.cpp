#include "axtrain/data/spec.h"

#include <limits>

#include "axtrain/config/options.h"
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

const config::Options<DataSpec>& DataSpec::declaration() {
  using D = DataSpec;
  using config::OptionRow;
  static const auto o =
      config::Options<D>("data")
          .custom(
              "type",
              [](config::Section& s, D& d) {
                d.type = s.require_string("type");
                d.options = dataset_registry().get(d.type, s.where("type"))(s);
              },
              [](const D& d, YAML::Node& n) {
                n["type"] = d.type;
                d.options->dump(n);  // the type's own keys follow `type`
              },
              {OptionRow{"type", "name", "axtrain list datasets", "required",
                         "dataset type; its own keys: data[type: NAME] below"}})
          .integer("batch_size", [](D& d) -> std::int64_t& { return d.batch_size; }, 1, 1 << 20, "training batch")
          .integer("test_batch_size", [](D& d) -> std::int64_t& { return d.test_batch_size; }, 1, 1 << 20,
                   "evaluation batch")
          .custom(
              "normalisation",
              [](config::Section& s, D& d) {
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
                      "normalisation", d.normalisation.kind,
                      {{"none", Normalisation::Kind::None}, {"dataset", Normalisation::Kind::Dataset}});
                }
              },
              [](const D& d, YAML::Node& n) {
                if (d.normalisation.kind == Normalisation::Kind::Custom) {
                  n["normalisation"]["mean"] = flow(d.normalisation.mean);
                  n["normalisation"]["std"] = flow(d.normalisation.std);
                } else {
                  n["normalisation"] = d.normalisation.kind == Normalisation::Kind::None ? "none" : "dataset";
                }
              },
              {OptionRow{"normalisation", "none | dataset | {mean: [...], std: [...]}", "", "none",
                         "after scaling to [0, 1]: dataset = the training split's per-channel (per-feature) mean "
                         "and std; custom lists have one value per channel or one for all"}})
          .custom(
              "augmentation",
              [](config::Section& s, D& d) {
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
              },
              [](const D& d, YAML::Node& n) {
                n["augmentation"]["crop_padding"] = d.augmentation.crop_padding;
                n["augmentation"]["flip"] = d.augmentation.flip;
              },
              {OptionRow{"augmentation", "none | flip | crop_flip | {crop_padding: P, flip: bool}", "P 0..1024", "none",
                         "training only: random crop of the original size after zero-padding P pixels (crop_flip: "
                         "P = 4), random horizontal flip"}})
          .integer("limit_train", [](D& d) -> std::int64_t& { return d.limit_train; }, 0, kMaxI,
                   "at most this many training examples, a fixed pseudo-random subset (0 = all)")
          .integer("limit_test", [](D& d) -> std::int64_t& { return d.limit_test; }, 0, kMaxI,
                   "at most this many test examples (0 = all)")
          .integer("workers", [](D& d) -> std::int64_t& { return d.workers; }, 0, 1024,
                   "decoding threads for file-based datasets (0 = all cores)");
  return o;
}

DataSpec DataSpec::parse(config::Section& s) {
  register_all();
  DataSpec d;
  declaration().parse(s, d);
  return d;
}

YAML::Node DataSpec::dump() const {
  YAML::Node n;
  declaration().dump(*this, n);
  return n;
}

std::unique_ptr<Dataset> DataSpec::open(std::uint64_t seed) const {
  std::unique_ptr<Dataset> ds = options->open(*this, seed);
  if (limit_train > 0 || limit_test > 0)
    ds = std::make_unique<SubsetDataset>(std::move(ds), limit_train, limit_test);
  return ds;
}

}  // namespace ax::data
