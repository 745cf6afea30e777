// Data derived from a layer's weights that a kernel would otherwise rebuild on every call (the
// expanded LUT and packed weight codes of approx_mul, DRUM's transformed weights, SC's packed
// weight streams, analog's packed array weights). Within an evaluation the weights do not change,
// so every batch after the first reuses it; in training it is rebuilt once per optimizer step.
//
// The key is the weight-side tensor the data is derived from (integer codes or levels) plus a few
// numbers (a scale, a flag); a hit needs equal dtype, shape and values — compared element by
// element, O(weights), which is small next to a kernel's O(rows · weights) — so an in-place
// update through any route (optimizer, checkpoint load, `.data()`) can never serve stale data.
// Thread-safe; one entry per cache (a layer holds its own).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <typeindex>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace ax::hw::mac {

class WeightCache {
 public:
  // The cached value of type T for (key, extra), built by build() → T on a miss.
  template <class T, class Build>
  std::shared_ptr<const T> get(const torch::Tensor& key, std::vector<double> extra, Build&& build) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (matches(key, extra, typeid(T))) {
        ++hits_;
        return std::static_pointer_cast<const T>(value_);
      }
    }
    auto v = std::make_shared<const T>(build());
    std::lock_guard<std::mutex> lock(mu_);
    key_ = key.detach().clone();
    extra_ = std::move(extra);
    type_ = typeid(T);
    value_ = v;
    ++builds_;
    return v;
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    key_ = torch::Tensor();
    value_.reset();
  }
  std::int64_t hits() const { return hits_; }
  std::int64_t builds() const { return builds_; }

 private:
  bool matches(const torch::Tensor& key, const std::vector<double>& extra, std::type_index type) const {
    return value_ && type_ == type && extra_ == extra && key_.defined() && key_.scalar_type() == key.scalar_type() &&
           key_.sizes() == key.sizes() && key_.device() == key.device() && torch::equal(key_, key);
  }

  std::mutex mu_;
  torch::Tensor key_;
  std::vector<double> extra_;
  std::type_index type_ = typeid(void);
  std::shared_ptr<const void> value_;
  std::int64_t hits_ = 0, builds_ = 0;
};

}  // namespace ax::hw::mac
