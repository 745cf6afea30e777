// CIFAR-10, binary version (cifar-10-batches-bin), from a user-given directory. Nothing is
// downloaded.
//
// YAML: {type: cifar10, path: DIR}
// DIR holds data_batch_1.bin .. data_batch_5.bin (train, 50,000 records) and test_batch.bin
// (test, 10,000). Each record is 1 label byte (0..9) then 3072 pixel bytes: the 32x32 red plane,
// then green, then blue (row-major). Images are kept as uint8 [N, 3, 32, 32].
#pragma once
#include <string>
#include <vector>

#include "axtrain/config/options.h"
#include "axtrain/data/spec.h"
#include "axtrain/data/tensor_dataset.h"

namespace ax::data {

struct Cifar10Options final : DatasetOptions {
  std::string path;  // directory of the .bin files (required)
  std::vector<std::string> train_files{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                       "data_batch_4.bin", "data_batch_5.bin"};
  std::vector<std::string> test_files{"test_batch.bin"};

  std::string type() const override { return "cifar10"; }
  void dump(YAML::Node& out) const override;
  std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const override;
  static const config::Options<Cifar10Options>& options();
  static std::shared_ptr<const DatasetOptions> parse(config::Section& s);
};

// Reads one CIFAR-10 binary batch file: x uint8 [N, 3, 32, 32], y int64 [N]. DataError naming the
// file when it is missing, empty, not a whole number of 3073-byte records, or has a label > 9.
Split read_cifar10_batch(const std::string& file);

}  // namespace ax::data
