#include "axtrain/data/synthetic.h"

#include "axtrain/config/section.h"
#include "axtrain/data/tensor_dataset.h"

namespace ax::data {

namespace {
// Class prototypes: for images, low-resolution random patterns (upsampled per example in
// make_split, so 1000 classes at 224×224 cost no more than the examples themselves); for rows,
// Gaussian vectors.
torch::Tensor prototypes(const std::vector<std::int64_t>& shape, std::int64_t classes,
                         torch::Generator& gen) {
  if (shape.size() == 3) {
    std::int64_t c = shape[0], h = shape[1], w = shape[2];
    std::int64_t lh = std::max<std::int64_t>(2, h / 4), lw = std::max<std::int64_t>(2, w / 4);
    return torch::rand({classes, c, lh, lw}, gen);
  }
  std::vector<std::int64_t> full{classes};
  full.insert(full.end(), shape.begin(), shape.end());
  return torch::randn(full, gen);
}

Split make_split(const torch::Tensor& protos, const std::vector<std::int64_t>& shape, std::int64_t n,
                 double noise, torch::Generator& gen) {
  const bool image = shape.size() == 3;
  const std::int64_t classes = protos.size(0);
  torch::Tensor y = torch::arange(n, torch::kInt64).remainder(classes);
  y = y.index_select(0, torch::randperm(n, gen));
  torch::Tensor x = protos.index_select(0, y);
  if (image) x = torch::upsample_bilinear2d(x, {shape[1], shape[2]}, /*align_corners=*/false);
  x = x + noise * torch::randn(x.sizes(), gen);
  if (image) x = torch::clamp(x, 0.0, 1.0).mul(255.0).round().to(torch::kUInt8);
  return {x.contiguous(), y};
}
}  // namespace

std::unique_ptr<Dataset> SyntheticOptions::open(const DataSpec& spec, std::uint64_t) const {
  torch::Generator gen = at::detail::createCPUGenerator(static_cast<std::uint64_t>(data_seed) + 7919);
  torch::Tensor protos = prototypes(shape, classes, gen);
  Split train = make_split(protos, shape, train_size, noise, gen);
  Split test = make_split(protos, shape, test_size, noise, gen);
  return std::make_unique<TensorDataset>(std::move(train), std::move(test), classes, spec);
}

const config::Options<SyntheticOptions>& SyntheticOptions::options() {
  using O = SyntheticOptions;
  static const auto o =
      config::Options<O>("data (synthetic)")
          .integers("shape", [](O& o) -> std::vector<std::int64_t>& { return o.shape; }, 1, 1 << 16,
                    "[C, H, W] images or [F] rows")
          .check([](const O& o) {
            return o.shape.size() == 1 || o.shape.size() == 3 ? "" : "expected [features] or [channels, height, width]";
          })
          .integer("classes", [](O& o) -> std::int64_t& { return o.classes; }, 2, 100000, "classes")
          .integer("train_size", [](O& o) -> std::int64_t& { return o.train_size; }, 1, 100000000, "training examples")
          .integer("test_size", [](O& o) -> std::int64_t& { return o.test_size; }, 1, 100000000, "test examples")
          .number("noise", [](O& o) -> double& { return o.noise; }, 0.0, 100.0,
                  "std of the added noise, relative to the [0, 1] range")
          .integer("data_seed", [](O& o) -> std::int64_t& { return o.data_seed; }, 0, 1LL << 40,
                   "the data's own seed (class prototypes and noise; not the run seed)");
  return o;
}

void SyntheticOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<const DatasetOptions> SyntheticOptions::parse(config::Section& s) {
  auto o = std::make_shared<SyntheticOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::data
