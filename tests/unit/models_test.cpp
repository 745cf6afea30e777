// Model zoo: every registered model is checked (the parameterised suite iterates the registry, so
// a new model is covered as soon as it is registered) against PAPERS.md §8 — parameter counts,
// per-layer weight counts, MAC layer names — plus output shape, gradient flow and a second input
// shape. Expected numbers are the ones PAPERS.md derives (independent of this code).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/layers/attach.h"
#include "axtrain/models/model.h"

namespace ax::models {
namespace {

using Shape = std::vector<std::int64_t>;

struct Expect {
  Shape shape;              // canonical input
  std::int64_t classes;     // canonical class count
  std::int64_t parameters;  // PAPERS.md total on the canonical input
  // MAC layer name (or name prefix "layer2" = every MAC layer under it) → weights + biases.
  std::map<std::string, std::int64_t> layer_params;
  std::vector<std::string> mac_names;  // all MAC layers in order (empty: only the count is known)
  std::size_t mac_count;
  Shape small_shape;  // for the backward pass (the canonical one unless empty)
};

std::vector<std::string> resnet18_mac_names() {
  std::vector<std::string> n{"conv1"};
  for (int l = 1; l <= 4; ++l)
    for (int b = 0; b < 2; ++b) {
      n.push_back(fmt::format("layer{}.{}.conv1", l, b));
      n.push_back(fmt::format("layer{}.{}.conv2", l, b));
      if (l > 1 && b == 0) n.push_back(fmt::format("layer{}.0.downsample.0", l));
    }
  n.push_back("fc");
  return n;
}

const std::map<std::string, Expect>& expectations() {
  static const std::map<std::string, Expect> e{
      // §8.8: 784-128-128-10 with biases (the default hidden sizes).
      {"mlp", {{1, 28, 28}, 10, 118282, {{"fc1", 100480}, {"fc2", 16512}, {"fc3", 1290}},
               {"fc1", "fc2", "fc3"}, 3, {}}},
      // §8.4 table.
      {"lenet5", {{1, 28, 28}, 10, 61706,
                  {{"conv1", 156}, {"conv2", 2416}, {"fc1", 48120}, {"fc2", 10164}, {"fc3", 850}},
                  {"conv1", "conv2", "fc1", "fc2", "fc3"}, 5, {}}},
      // §8.1 (A): 89,440 conv weights + 276 BN affine.
      {"tinyconv", {{3, 32, 32}, 10, 89440 + 276,
                    {{"conv1", 2400}, {"conv2", 25600}, {"conv3", 51200}, {"fc", 10240}},
                    {"conv1", "conv2", "conv3", "fc"}, 4, {}}},
      // §8.2 table: 77,706 conv/dense + 480 BN γ/β.
      {"resnet_tiny", {{3, 32, 32}, 10, 78186,
                       {{"conv1", 448}, {"stack1.conv1", 2320}, {"stack1.conv2", 2320},
                        {"stack2.conv1", 4640}, {"stack2.conv2", 9248}, {"stack2.shortcut", 544},
                        {"stack3.conv1", 18496}, {"stack3.conv2", 36928}, {"stack3.shortcut", 2112},
                        {"fc", 650}},
                       {"conv1", "stack1.conv1", "stack1.conv2", "stack2.conv1", "stack2.conv2",
                        "stack2.shortcut", "stack3.conv1", "stack3.conv2", "stack3.shortcut", "fc"},
                       10, {}}},
      // §8.3 table (ImageNet, torchvision).
      {"resnet18", {{3, 224, 224}, 1000, 11689512,
                    {{"conv1", 9408}, {"layer1", 147456}, {"layer2", 524288}, {"layer3", 2097152},
                     {"layer4", 8388608}, {"fc", 513000}},
                    resnet18_mac_names(), 21, {3, 32, 32}}},
      // §8.6: 13 convs + classifier at kuangliu's nn.Sequential indices.
      {"vgg16", {{3, 32, 32}, 10, 14728266, {{"features.0", 3 * 64 * 9 + 64}, {"classifier", 5130}},
                 {"features.0", "features.3", "features.7", "features.10", "features.14", "features.17",
                  "features.20", "features.24", "features.27", "features.30", "features.34", "features.37",
                  "features.40", "classifier"},
                 14, {}}},
      // §8.7: 1 stem + 17 blocks × 3 + 4 projection shortcuts + head conv + linear.
      {"mobilenetv2", {{3, 32, 32}, 10, 2296922,
                       {{"conv1", 3 * 32 * 9}, {"layers.0.conv2", 32 * 9}, {"conv2", 320 * 1280},
                        {"linear", 12810}},
                       {}, 58, {}}},
  };
  return e;
}

std::shared_ptr<Model> build(const std::string& type, const Shape& shape, std::int64_t classes,
                             const std::string& extra = "") {
  YAML::Node n = YAML::Load(fmt::format("{{type: {}{}{}}}", type, extra.empty() ? "" : ", ", extra));
  config::Section s({{n, "<test>"}}, "model");
  ModelSpec spec = ModelSpec::parse(s);
  s.finish();
  return spec.build(shape, classes);
}

Shape batch_of(std::int64_t b, const Shape& shape) {
  Shape s{b};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

std::vector<std::string> registered_models() {
  register_all();
  return model_registry().names();
}

class ModelZoo : public ::testing::TestWithParam<std::string> {
 protected:
  const Expect& expect() {
    auto it = expectations().find(GetParam());
    if (it == expectations().end())
      ADD_FAILURE() << "model '" << GetParam() << "' has no PAPERS.md expectations in models_test.cpp";
    return it == expectations().end() ? fallback_ : it->second;
  }
  Expect fallback_{{3, 32, 32}, 10, -1, {}, {}, 0, {}};
};

TEST_P(ModelZoo, OutputShapeOnCanonicalInput) {
  const Expect& e = expect();
  torch::manual_seed(0);
  auto m = build(GetParam(), e.shape, e.classes);
  torch::NoGradGuard g;
  m->eval();
  auto y = m->forward(torch::rand(batch_of(2, e.shape)));
  EXPECT_EQ(y.sizes().vec(), (Shape{2, e.classes}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
}

TEST_P(ModelZoo, ParameterCountsMatchPapers) {
  const Expect& e = expect();
  auto m = build(GetParam(), e.shape, e.classes);
  EXPECT_EQ(parameter_count(*m), e.parameters);
  auto macs = layers::mac_layers(*m);
  for (const auto& [prefix, count] : e.layer_params) {
    std::int64_t n = 0;
    int matched = 0;
    for (const auto& l : macs) {
      if (l.name != prefix && l.name.rfind(prefix + ".", 0) != 0) continue;
      n += l.layer->weight.numel() + (l.layer->bias.defined() ? l.layer->bias.numel() : 0);
      ++matched;
    }
    EXPECT_GT(matched, 0) << "no MAC layer " << prefix;
    EXPECT_EQ(n, count) << prefix;
  }
}

TEST_P(ModelZoo, MacLayerNamesAsDocumented) {
  const Expect& e = expect();
  auto m = build(GetParam(), e.small_shape.empty() ? e.shape : e.small_shape, e.classes);
  std::vector<std::string> names;
  for (const auto& l : layers::mac_layers(*m)) names.push_back(l.name);
  EXPECT_EQ(names.size(), e.mac_count);
  if (!e.mac_names.empty()) { EXPECT_EQ(names, e.mac_names); }
}

TEST_P(ModelZoo, GradientsReachEveryParameter) {
  const Expect& e = expect();
  const Shape& shape = e.small_shape.empty() ? e.shape : e.small_shape;
  torch::manual_seed(1);
  auto m = build(GetParam(), shape, e.classes);
  m->train();
  auto y = m->forward(torch::rand(batch_of(2, shape)));
  // A random projection: a plain sum would give zero gradients through a final BatchNorm.
  (y * torch::randn(y.sizes())).sum().backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST_P(ModelZoo, AdaptsToAnotherShapeAndClassCount) {
  const Expect& e = expect();
  for (const Shape& shape : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
    if (shape == e.shape) continue;
    torch::manual_seed(2);
    auto m = build(GetParam(), shape, 7);
    m->train();
    auto y = m->forward(torch::rand(batch_of(2, shape)));
    EXPECT_EQ(y.sizes().vec(), (Shape{2, 7})) << shape[0] << "x" << shape[1] << "x" << shape[2];
  }
}

TEST_P(ModelZoo, HiddenActivationAndSigmoidOutputApply) {
  const Expect& e = expect();
  const Shape& shape = e.small_shape.empty() ? e.shape : e.small_shape;
  torch::Tensor x = 4.0 * torch::rand(batch_of(2, shape));
  auto run = [&](const std::string& extra) {
    torch::manual_seed(3);
    auto m = build(GetParam(), shape, e.classes, extra);
    m->eval();
    torch::NoGradGuard g;
    return m->forward(x);
  };
  torch::Tensor relu = run("activation: relu"), ht = run("activation: hardtanh01");
  EXPECT_FALSE(torch::allclose(relu, ht)) << "activation option has no effect";
  torch::Tensor sig = run("activation: relu, output: sigmoid");
  EXPECT_TRUE(torch::allclose(sig, torch::sigmoid(relu), 1e-6, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Registry, ModelZoo, ::testing::ValuesIn(registered_models()),
                         [](const auto& info) { return info.param; });

TEST(ResNet18, CifarStemCountsAndAutoSelection) {
  // §8.3 CIFAR variant: 11,173,962; auto picks it below 128 px and the ImageNet stem from 128 px.
  auto cifar = build("resnet18", {3, 32, 32}, 10);
  EXPECT_EQ(parameter_count(*cifar), 11173962);
  EXPECT_EQ(parameter_count(*build("resnet18", {3, 32, 32}, 10, "stem: cifar")), 11173962);
  // ImageNet stem, 10 classes: 11,689,512 − 513,000 + 5,130.
  EXPECT_EQ(parameter_count(*build("resnet18", {3, 32, 32}, 10, "stem: imagenet")), 11181642);
  EXPECT_EQ(parameter_count(*build("resnet18", {3, 128, 128}, 10)), 11181642);
  EXPECT_EQ(parameter_count(*build("resnet18", {3, 127, 127}, 10)), 11173962);
  auto conv1 = layers::mac_layers(*cifar).front();
  EXPECT_EQ(conv1.layer->weight.sizes().vec(), (Shape{64, 3, 3, 3}));
}

TEST(ResNet18, StateDictNamesAreTorchvisions) {
  // torchvision resnet18().state_dict(): 62 parameters + 60 BN buffers = 122 entries.
  std::set<std::string> expected;
  auto bn = [&](const std::string& p) {
    for (const char* s : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
      expected.insert(p + "." + s);
  };
  expected.insert("conv1.weight");
  bn("bn1");
  for (int l = 1; l <= 4; ++l)
    for (int b = 0; b < 2; ++b) {
      std::string p = fmt::format("layer{}.{}.", l, b);
      expected.insert(p + "conv1.weight");
      bn(p + "bn1");
      expected.insert(p + "conv2.weight");
      bn(p + "bn2");
      if (l > 1 && b == 0) {
        expected.insert(p + "downsample.0.weight");
        bn(p + "downsample.1");
      }
    }
  expected.insert("fc.weight");
  expected.insert("fc.bias");
  ASSERT_EQ(expected.size(), 122u);
  auto m = build("resnet18", {3, 32, 32}, 1000, "stem: imagenet");
  std::set<std::string> got;
  for (const auto& p : m->named_parameters()) got.insert(p.key());
  for (const auto& b : m->named_buffers())
    if (b.key().find(".hw.") == std::string::npos) got.insert(b.key());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(m->named_parameters()["fc.weight"].sizes().vec(), (Shape{1000, 512}));
  EXPECT_EQ(m->named_parameters()["layer2.0.downsample.0.weight"].sizes().vec(), (Shape{128, 64, 1, 1}));
}

TEST(LeNet5, FirstFcFollowsInputShapeAndPoolOption) {
  // 32×32: conv1 (pad 2) 32 → pool 16 → conv2 12 → pool 6: 16·6·6 = 576 inputs to fc1.
  auto m = build("lenet5", {1, 32, 32}, 10);
  EXPECT_EQ(m->named_parameters()["fc1.weight"].sizes().vec(), (Shape{120, 576}));
  torch::Tensor x = torch::rand({2, 1, 28, 28});
  auto run = [&](const std::string& extra) {
    torch::manual_seed(4);
    return build("lenet5", {1, 28, 28}, 10, extra)->forward(x);
  };
  EXPECT_TRUE(torch::equal(run(""), run("pool: avg")));
  EXPECT_FALSE(torch::allclose(run("pool: avg"), run("pool: max")));
  EXPECT_THROW(build("lenet5", {1, 28, 28}, 10, "pool: min"), ConfigError);
  EXPECT_THROW(build("lenet5", {1, 8, 8}, 10), ConfigError);
}

TEST(ResNetTiny, FiltersOption) {
  // Two stacks of 8 and 16: stem 3·9·8+8 = 224; stack1 2·(8·9·8+8) = 1,168; stack2 8·9·16+16 = 1,168,
  // 16·9·16+16 = 2,320, shortcut 8·16+16 = 144; fc 16·10+10 = 170; BN γ/β 2·(8+8+8+16+16) = 112.
  auto m = build("resnet_tiny", {3, 32, 32}, 10, "filters: [8, 16]");
  EXPECT_EQ(parameter_count(*m), 224 + 1168 + 1168 + 2320 + 144 + 170 + 112);
  EXPECT_EQ(layers::mac_layers(*m).size(), 7u);
  EXPECT_THROW(build("resnet_tiny", {3, 32, 32}, 10, "filters: []"), ConfigError);
}

TEST(Models, ImageModelsRejectRows) {
  for (const auto& name : registered_models()) {
    if (name == "mlp") continue;
    EXPECT_THROW(build(name, {30}, 2), ConfigError) << name;
  }
}

}  // namespace
}  // namespace ax::models
