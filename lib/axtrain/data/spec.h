// DataSpec: the `data:` mapping of a run config (common keys; type-specific keys belong to the
// dataset type's own options, parsed through the dataset registry).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "axtrain/core/registry.h"
#include "axtrain/data/dataset.h"

namespace ax::config {
class Section;
template <class T>
class Options;
}

namespace ax::data {

// Per-channel (or per-feature) normalisation applied after scaling images to [0, 1].
struct Normalisation {
  enum class Kind { None, Dataset, Custom } kind = Kind::None;
  std::vector<double> mean, std;  // Custom: one value per channel (or one for all)
};

// Training-time augmentation of images.
struct Augmentation {
  std::int64_t crop_padding = 0;  // random crop of the original size after zero padding (0 = off)
  bool flip = false;              // random horizontal flip
  bool any() const { return crop_padding > 0 || flip; }
};

struct DataSpec;

struct DatasetOptions {
  virtual ~DatasetOptions() = default;
  virtual std::string type() const = 0;
  virtual void dump(YAML::Node& out) const = 0;
  // Opens the data (reads files); `seed` is the run seed (for seeded splits).
  virtual std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const = 0;
};

using DatasetParser = std::function<std::shared_ptr<const DatasetOptions>(config::Section&)>;
Registry<DatasetParser>& dataset_registry();
void register_all();

struct DataSpec {
  std::string type;
  std::shared_ptr<const DatasetOptions> options;
  std::int64_t batch_size = 128;
  std::int64_t test_batch_size = 1000;
  Normalisation normalisation;
  Augmentation augmentation;
  std::int64_t limit_train = 0;  // use at most this many training examples (0 = all)
  std::int64_t limit_test = 0;   // use at most this many test examples (0 = all)
  std::int64_t workers = 0;      // decoding threads for file-based sets (0 = all cores)

  // The common keys; `type` brings the dataset type's own (dataset_registry().keys(type)).
  static const config::Options<DataSpec>& declaration();
  static DataSpec parse(config::Section& s);
  YAML::Node dump() const;
  // Opens the dataset with normalisation, augmentation and limits applied.
  std::unique_ptr<Dataset> open(std::uint64_t seed) const;
};

}  // namespace ax::data
