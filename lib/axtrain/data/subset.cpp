#include "axtrain/data/subset.h"

#include <algorithm>
#include <numeric>

namespace ax::data {

namespace {
std::vector<std::int64_t> pick(std::int64_t n, std::int64_t limit) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  if (limit <= 0 || limit >= n) return all;
  std::mt19937_64 rng(0x5eed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<std::size_t>(limit));
  std::sort(all.begin(), all.end());
  return all;
}
}  // namespace

SubsetDataset::SubsetDataset(std::unique_ptr<Dataset> inner, std::int64_t limit_train,
                             std::int64_t limit_test)
    : inner_(std::move(inner)),
      train_(pick(inner_->size(Part::Train), limit_train)),
      test_(pick(inner_->size(Part::Test), limit_test)) {}

std::int64_t SubsetDataset::size(Part part) const {
  return static_cast<std::int64_t>(part == Part::Train ? train_.size() : test_.size());
}

Batch SubsetDataset::load(Part part, const std::vector<std::int64_t>& idx, bool augment,
                          std::mt19937_64& rng) const {
  const auto& map = part == Part::Train ? train_ : test_;
  std::vector<std::int64_t> inner_idx;
  inner_idx.reserve(idx.size());
  for (auto i : idx) inner_idx.push_back(map.at(static_cast<std::size_t>(i)));
  return inner_->load(part, inner_idx, augment, rng);
}

}  // namespace ax::data
