// Synthetic data of any shape and class count, deterministic and learnable (not pure noise):
// each class has a smooth random prototype; an example is its class prototype plus noise.
// Images ({C, H, W}) are stored as uint8 like real images; rows ({F}) as float features.
//
// YAML: {type: synthetic, shape: [3, 32, 32], classes: 10, train_size: 2048, test_size: 512,
//        noise: 0.35, data_seed: 0}
#pragma once
#include <vector>

#include "axtrain/config/options.h"
#include "axtrain/data/spec.h"

namespace ax::data {

struct SyntheticOptions final : DatasetOptions {
  std::vector<std::int64_t> shape{1, 28, 28};
  std::int64_t classes = 10;
  std::int64_t train_size = 2048;
  std::int64_t test_size = 512;
  double noise = 0.35;        // std of the additive noise, relative to the [0, 1] image range
  std::int64_t data_seed = 0; // the data's own seed (independent of the run seed)

  std::string type() const override { return "synthetic"; }
  void dump(YAML::Node& out) const override;
  std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const override;
  static const config::Options<SyntheticOptions>& options();
  static std::shared_ptr<const DatasetOptions> parse(config::Section& s);
};

}  // namespace ax::data
