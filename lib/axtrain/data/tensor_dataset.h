// TensorDataset: a dataset held in memory as tensors — images as uint8 [N, C, H, W] (scaled to
// [0, 1] on load) or tabular rows as float [N, F]. Applies normalisation and augmentation.
#pragma once
#include <utility>

#include "axtrain/data/dataset.h"
#include "axtrain/data/spec.h"

namespace ax::data {

struct Split {
  torch::Tensor x;  // uint8 [N, C, H, W] or float [N, F]
  torch::Tensor y;  // int64 [N]
};

class TensorDataset final : public Dataset {
 public:
  // Normalisation::Dataset computes per-channel (per-feature) mean and std on the train split.
  TensorDataset(Split train, Split test, std::int64_t num_classes, const DataSpec& spec);

  std::vector<std::int64_t> input_shape() const override;
  std::int64_t num_classes() const override { return num_classes_; }
  std::int64_t size(Part part) const override;
  Batch load(Part part, const std::vector<std::int64_t>& idx, bool augment,
             std::mt19937_64& rng) const override;

  const Split& split(Part part) const { return part == Part::Train ? train_ : test_; }

 private:
  Split train_, test_;
  std::int64_t num_classes_;
  torch::Tensor mean_, inv_std_;  // broadcastable to a batch, or undefined
  Augmentation augmentation_;
};

// Random crop (after zero padding) and horizontal flip of a float image batch [B, C, H, W].
// Random crop and flip of images x (rows = examples idx): one number of `rng` keys the batch, and
// example i's crop and flip come from (that number, idx[i]) alone, so an example is augmented the
// same in any batch (a data-parallel rank's shard or the whole global batch) of one step.
torch::Tensor augment_images(const torch::Tensor& x, const Augmentation& a, std::mt19937_64& rng,
                             const std::vector<std::int64_t>& idx);
// Per-channel (per-feature) mean and 1/std, broadcastable to a batch, for `norm`: from the
// examples train_x (uint8 images scaled to [0, 1], or float rows) for Normalisation::Dataset, from
// the config for Custom; undefined tensors for None.
std::pair<torch::Tensor, torch::Tensor> normalisation_stats(const Normalisation& norm,
                                                            const torch::Tensor& train_x);
// uint8 images -> float in [0, 1] (float rows as they are), then (x - mean) * inv_std if defined.
torch::Tensor scale_and_normalise(const torch::Tensor& x, const torch::Tensor& mean,
                                  const torch::Tensor& inv_std);
// Checks labels are in [0, num_classes) and throws DataError naming `file` otherwise.
void check_labels(const torch::Tensor& y, std::int64_t num_classes, const std::string& file);

}  // namespace ax::data
