#include "axtrain/data/tensor_dataset.h"

#include "axtrain/core/random.h"

#include <tuple>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::data {

namespace {
bool is_image(const torch::Tensor& x) { return x.dim() == 4; }

torch::Tensor to_float(const torch::Tensor& x) {
  if (x.scalar_type() == torch::kUInt8) return x.to(torch::kFloat32).div_(255.0f);
  return x.to(torch::kFloat32);
}
}  // namespace

void check_labels(const torch::Tensor& y, std::int64_t num_classes, const std::string& file) {
  if (y.numel() == 0) return;
  std::int64_t lo = y.min().item<std::int64_t>(), hi = y.max().item<std::int64_t>();
  if (lo < 0 || hi >= num_classes)
    throw DataError(fmt::format("{}: label {} out of range; expected 0..{}", file,
                                lo < 0 ? lo : hi, num_classes - 1));
}

std::pair<torch::Tensor, torch::Tensor> normalisation_stats(const Normalisation& norm,
                                                            const torch::Tensor& train_x) {
  const bool image = is_image(train_x);
  const std::int64_t channels = train_x.size(1);
  std::vector<std::int64_t> bshape = image ? std::vector<std::int64_t>{1, channels, 1, 1}
                                           : std::vector<std::int64_t>{1, channels};
  if (norm.kind == Normalisation::Kind::Dataset && train_x.size(0) > 0) {
    torch::Tensor f = to_float(train_x);
    std::vector<std::int64_t> dims = image ? std::vector<std::int64_t>{0, 2, 3}
                                           : std::vector<std::int64_t>{0};
    torch::Tensor mean = f.mean(dims).reshape(bshape);
    torch::Tensor sd = f.std(dims, /*unbiased=*/false).reshape(bshape);
    return {mean, 1.0 / torch::where(sd > 1e-12, sd, torch::ones_like(sd))};
  }
  if (norm.kind == Normalisation::Kind::Custom) {
    auto expand = [&](const std::vector<double>& v) {
      if (v.size() != 1 && static_cast<std::int64_t>(v.size()) != channels)
        throw ConfigError(fmt::format(
            "data.normalisation: {} values given but the data has {} channels/features", v.size(),
            channels));
      std::vector<float> f(static_cast<std::size_t>(channels));
      for (std::int64_t c = 0; c < channels; ++c) f[c] = static_cast<float>(v.size() == 1 ? v[0] : v[c]);
      return torch::tensor(f).reshape(bshape);
    };
    return {expand(norm.mean), 1.0 / expand(norm.std)};
  }
  return {};
}

torch::Tensor scale_and_normalise(const torch::Tensor& x, const torch::Tensor& mean,
                                  const torch::Tensor& inv_std) {
  torch::Tensor f = to_float(x);
  return mean.defined() ? (f - mean) * inv_std : f;
}

TensorDataset::TensorDataset(Split train, Split test, std::int64_t num_classes,
                             const DataSpec& spec)
    : train_(std::move(train)),
      test_(std::move(test)),
      num_classes_(num_classes),
      augmentation_(spec.augmentation) {
  std::tie(mean_, inv_std_) = normalisation_stats(spec.normalisation, train_.x);
}

std::vector<std::int64_t> TensorDataset::input_shape() const {
  auto s = train_.x.sizes().vec();
  s.erase(s.begin());
  return s;
}

std::int64_t TensorDataset::size(Part part) const { return split(part).x.size(0); }

Batch TensorDataset::load(Part part, const std::vector<std::int64_t>& idx, bool augment,
                          std::mt19937_64& rng) const {
  const Split& s = split(part);
  torch::Tensor index = torch::tensor(idx, torch::kInt64);
  torch::Tensor x = scale_and_normalise(s.x.index_select(0, index), mean_, inv_std_);
  if (augment && is_image(x) && augmentation_.any()) x = augment_images(x, augmentation_, rng, idx);
  return {x.contiguous(), s.y.index_select(0, index)};
}

torch::Tensor augment_images(const torch::Tensor& x, const Augmentation& a, std::mt19937_64& batch_rng,
                             const std::vector<std::int64_t>& idx) {
  const std::uint64_t key = batch_rng();
  const std::int64_t B = x.size(0), H = x.size(2), W = x.size(3), p = a.crop_padding;
  torch::Tensor src = p > 0 ? torch::constant_pad_nd(x, {p, p, p, p}, 0.0) : x;
  torch::Tensor out = torch::empty_like(x);
  std::uniform_int_distribution<std::int64_t> off(0, 2 * p);
  std::bernoulli_distribution coin(0.5);
  for (std::int64_t b = 0; b < B; ++b) {
    std::mt19937_64 rng(ax::rng::mix(key, static_cast<std::uint64_t>(idx[static_cast<std::size_t>(b)])));
    std::int64_t dy = p > 0 ? off(rng) : 0, dx = p > 0 ? off(rng) : 0;
    torch::Tensor img = src[b].narrow(1, dy, H).narrow(2, dx, W);
    if (a.flip && coin(rng)) img = img.flip({2});
    out[b].copy_(img);
  }
  return out;
}

}  // namespace ax::data
