// SubsetDataset: the first N examples of each part of another dataset, taken in a fixed
// pseudo-random order (so a reduced run still sees every class).
#pragma once
#include <memory>

#include "axtrain/data/dataset.h"

namespace ax::data {

class SubsetDataset final : public Dataset {
 public:
  SubsetDataset(std::unique_ptr<Dataset> inner, std::int64_t limit_train, std::int64_t limit_test);
  std::vector<std::int64_t> input_shape() const override { return inner_->input_shape(); }
  std::int64_t num_classes() const override { return inner_->num_classes(); }
  std::int64_t size(Part part) const override;
  Batch load(Part part, const std::vector<std::int64_t>& idx, bool augment,
             std::mt19937_64& rng) const override;

 private:
  std::unique_ptr<Dataset> inner_;
  std::vector<std::int64_t> train_, test_;
};

}  // namespace ax::data
