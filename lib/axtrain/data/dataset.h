// Dataset: examples addressed by index, loaded as float batches. Loaders never download.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <torch/types.h>

namespace ax::data {

enum class Part { Train, Test };
const char* part_name(Part p);

struct Batch {
  torch::Tensor x;  // float [B, ...]
  torch::Tensor y;  // int64 [B]
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // Shape of one example: {C, H, W} for images, {F} for tabular rows.
  virtual std::vector<std::int64_t> input_shape() const = 0;
  virtual std::int64_t num_classes() const = 0;
  virtual std::int64_t size(Part part) const = 0;
  // Loads examples `idx` of `part`: normalised, and augmented when `augment` (the random draws
  // come from rng, so a batch is reproducible from its seed).
  virtual Batch load(Part part, const std::vector<std::int64_t>& idx, bool augment,
                     std::mt19937_64& rng) const = 0;
  // One line for logs: "fashion_mnist 60000/10000 1x28x28, 10 classes".
  virtual std::string describe() const;
};

}  // namespace ax::data
