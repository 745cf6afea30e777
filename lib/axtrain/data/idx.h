// IDX files (MNIST, Fashion-MNIST), gzip-compressed or raw. Nothing is downloaded.
//
// YAML: {type: fashion_mnist | mnist | idx, path: DIR, num_classes: 10}
// The directory holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (names configurable).
#pragma once
#include <string>
#include <vector>

#include "axtrain/config/options.h"

#include "axtrain/data/spec.h"
#include "axtrain/data/tensor_dataset.h"

namespace ax::data {

struct IdxOptions final : DatasetOptions {
  std::string kind = "idx";  // registry name (idx, mnist, fashion_mnist)
  std::string path;
  std::string train_images = "train-images-idx3-ubyte", train_labels = "train-labels-idx1-ubyte";
  std::string test_images = "t10k-images-idx3-ubyte", test_labels = "t10k-labels-idx1-ubyte";
  std::int64_t num_classes = 10;

  std::string type() const override { return kind; }
  void dump(YAML::Node& out) const override;
  std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const override;
  static const config::Options<IdxOptions>& options();
  // The parser and the keys of one registered kind (its default directory; "" = required).
  static DatasetParser parser(std::string kind, std::string default_path);
  static std::vector<OptionRow> keys(std::string kind, std::string default_path);
};

// Reads one IDX file (gz detected by magic bytes): images as uint8 [N, 1, H, W], labels as int64
// [N]. Throws DataError naming the file on a wrong magic number, truncation or size mismatch.
torch::Tensor read_idx_images(const std::string& file);
torch::Tensor read_idx_labels(const std::string& file);
// Whole-file read with transparent gzip decompression.
std::string read_maybe_gzip(const std::string& file);

}  // namespace ax::data
