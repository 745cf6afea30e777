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

void SyntheticOptions::dump(YAML::Node& out) const {
  YAML::Node s(YAML::NodeType::Sequence);
  for (auto d : shape) s.push_back(d);
  s.SetStyle(YAML::EmitterStyle::Flow);
  out["shape"] = s;
  out["classes"] = classes;
  out["train_size"] = train_size;
  out["test_size"] = test_size;
  out["noise"] = noise;
  out["data_seed"] = data_seed;
}

std::shared_ptr<const DatasetOptions> SyntheticOptions::parse(config::Section& s) {
  auto o = std::make_shared<SyntheticOptions>();
  o->shape = s.get_int_list("shape", o->shape, 1, 1 << 16);
  if (o->shape.size() != 1 && o->shape.size() != 3)
    s.fail("shape", "expected [features] or [channels, height, width]");
  o->classes = s.get_int("classes", o->classes, 2, 100000);
  o->train_size = s.get_int("train_size", o->train_size, 1, 100000000);
  o->test_size = s.get_int("test_size", o->test_size, 1, 100000000);
  o->noise = s.get_double("noise", o->noise, 0.0, 100.0);
  o->data_seed = s.get_int("data_seed", 0, 0, 1LL << 40);
  return o;
}

}  // namespace ax::data
