#include "axtrain/data/image_folder_dataset.h"

#include "axtrain/core/random.h"

#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace ax::data {

namespace {
int part_index(Part p) { return p == Part::Train ? 0 : 1; }

// Up to n evenly spaced indices of [0, size).
std::vector<std::int64_t> spread(std::int64_t size, std::int64_t n) {
  std::vector<std::int64_t> idx;
  const std::int64_t k = std::min(size, n);
  for (std::int64_t i = 0; i < k; ++i) idx.push_back(i * size / k);
  return idx;
}

constexpr std::int64_t kStatsImages = 1024;  // train images sampled for normalisation: dataset
}  // namespace

torch::Tensor decode_eval(const FolderIndex& index, Part part, const std::vector<std::int64_t>& idx,
                          const ImageTransform& t, ThreadPool& pool) {
  const auto& files = index.files[part_index(part)];
  const std::int64_t B = static_cast<std::int64_t>(idx.size()), plane = 3LL * t.size * t.size;
  torch::Tensor out = torch::empty({B, 3, t.size, t.size}, torch::kUInt8);
  std::uint8_t* dst = out.data_ptr<std::uint8_t>();
  pool.parallel_for(B, [&](std::int64_t i) {
    load_eval_image(files.at(static_cast<std::size_t>(idx[i])), t, dst + i * plane);
  });
  return out;
}

ImageFolderDataset::ImageFolderDataset(FolderIndex index, const ImageFolderOptions& options,
                                       const DataSpec& spec)
    : index_(std::move(index)),
      t_(options.transform()),
      random_crop_(options.train_transform == ImageFolderOptions::TrainTransform::RandomResizedCrop),
      augmentation_(spec.augmentation),
      pool_(std::make_shared<ThreadPool>(static_cast<std::size_t>(spec.workers))) {
  // Normalisation::Dataset: statistics of a fixed, evenly spaced sample of training images
  // (decoding the whole set here would defeat streaming).
  torch::Tensor sample;
  if (spec.normalisation.kind == Normalisation::Kind::Dataset)
    sample = decode_eval(index_, Part::Train, spread(size(Part::Train), kStatsImages), t_, *pool_);
  else
    sample = torch::zeros({0, 3, t_.size, t_.size}, torch::kUInt8);
  std::tie(mean_, inv_std_) = normalisation_stats(spec.normalisation, sample);
}

std::int64_t ImageFolderDataset::size(Part part) const {
  return static_cast<std::int64_t>(index_.files[part_index(part)].size());
}

Batch ImageFolderDataset::load(Part part, const std::vector<std::int64_t>& idx, bool augment,
                               std::mt19937_64& rng) const {
  const auto& files = index_.files[part_index(part)];
  const auto& labels = index_.labels[part_index(part)];
  for (auto i : idx)
    if (i < 0 || i >= static_cast<std::int64_t>(files.size()))
      throw std::out_of_range(fmt::format("image_folder: index {} out of range for {} {} images", i,
                                          files.size(), part_name(part)));
  const std::int64_t B = static_cast<std::int64_t>(idx.size());
  std::vector<std::int64_t> y(idx.size());
  for (std::int64_t i = 0; i < B; ++i) y[i] = labels[static_cast<std::size_t>(idx[i])];

  torch::Tensor raw;
  if (augment && random_crop_) {
    // Keyed by (one number of rng, the example's index): the same crop in any batch of this step.
    const std::uint64_t key = rng();
    std::vector<std::uint64_t> seeds(idx.size());
    for (std::size_t i = 0; i < idx.size(); ++i) seeds[i] = ax::rng::mix(key, static_cast<std::uint64_t>(idx[i]));
    const std::int64_t plane = 3LL * t_.size * t_.size;
    raw = torch::empty({B, 3, t_.size, t_.size}, torch::kUInt8);
    std::uint8_t* dst = raw.data_ptr<std::uint8_t>();
    pool_->parallel_for(B, [&](std::int64_t i) {
      std::mt19937_64 r(seeds[i]);
      load_random_resized_crop(files[static_cast<std::size_t>(idx[i])], t_, augmentation_.flip, r,
                               dst + i * plane);
    });
  } else {
    raw = decode_eval(index_, part, idx, t_, *pool_);
  }
  torch::Tensor x = scale_and_normalise(raw, mean_, inv_std_);
  if (augment && !random_crop_ && augmentation_.any()) x = augment_images(x, augmentation_, rng, idx);
  return {x.contiguous(), torch::tensor(y, torch::kInt64)};
}

}  // namespace ax::data
