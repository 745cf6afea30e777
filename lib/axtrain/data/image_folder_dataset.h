// ImageFolderDataset: streams class-folder JPEGs, decoding each batch on a thread pool.
// The random draws of a batch come only from the rng passed to load(): RandomResizedCrop takes
// one 64-bit seed per image from it, in batch order, before the parallel decode; the pad-crop/flip
// augmentation draws from it afterwards exactly as TensorDataset does, so a cached and a streamed
// set give identical batches for train_transform resize.
#pragma once
#include <memory>

#include "axtrain/core/thread_pool.h"
#include "axtrain/data/image_folder.h"
#include "axtrain/data/tensor_dataset.h"

namespace ax::data {

class ImageFolderDataset final : public Dataset {
 public:
  ImageFolderDataset(FolderIndex index, const ImageFolderOptions& options, const DataSpec& spec);

  std::vector<std::int64_t> input_shape() const override { return {3, t_.size, t_.size}; }
  std::int64_t num_classes() const override { return static_cast<std::int64_t>(index_.classes.size()); }
  std::int64_t size(Part part) const override;
  Batch load(Part part, const std::vector<std::int64_t>& idx, bool augment,
             std::mt19937_64& rng) const override;

 private:
  FolderIndex index_;
  ImageTransform t_;
  bool random_crop_;
  Augmentation augmentation_;
  torch::Tensor mean_, inv_std_;
  std::shared_ptr<ThreadPool> pool_;
};

// Decodes files[idx] of `part` with the evaluation transform into uint8 [B, 3, S, S].
torch::Tensor decode_eval(const FolderIndex& index, Part part, const std::vector<std::int64_t>& idx,
                          const ImageTransform& t, ThreadPool& pool);

}  // namespace ax::data
