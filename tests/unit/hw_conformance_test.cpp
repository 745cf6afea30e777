// Conformance suite over hardware models: every case builds, keeps shapes, is deterministic for a
// fixed seed, equals its reference under ideal settings, implements the `exact` mode contract
// (forward = exact(), gradient = proxy's), and its proxy gradient passes a finite-difference
// check. Every preset in configs/hw/ parses and round-trips. A new hardware model adds one row.
#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/config/run_config.h"
#include "axtrain/hw/spec.h"
#include "test_util.h"

namespace ax {
namespace {

struct Case {
  std::string name;
  std::string yaml;             // the model under test
  std::string ideal_yaml;       // settings under which exact() must equal the reference's exact()
  std::string reference_yaml;   // the reference (e.g. ideal or fixed_point with the same bits)
  std::string smooth_yaml;      // settings for the finite-difference check of proxy() ("" = yaml)
  double ideal_rtol = 1e-5;
};

std::vector<Case> cases() {
  return {
      {"ideal", "{type: ideal}", "{type: ideal}", "{type: ideal}", ""},
      {"fixed_point", "{type: fixed_point, input: {bits: 4}, weight: {bits: 4}}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}}", "{type: ideal}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}}", 1e-5},
  };
}

struct Op {
  hw::MacOp op;
  std::vector<std::int64_t> x, w;
};

std::vector<Op> ops() {
  return {{hw::MacOp{hw::MacOp::Kind::Linear}, {4, 12}, {5, 12}},
          {hw::MacOp{hw::MacOp::Kind::Conv2d, 1, 1}, {2, 3, 6, 6}, {4, 3, 3, 3}},
          {hw::MacOp{hw::MacOp::Kind::Conv2d, 2, 0}, {2, 2, 7, 7}, {3, 2, 3, 3}}};
}

// Non-negative inputs (after ReLU), signed weights — the setting of every paper.
std::pair<torch::Tensor, torch::Tensor> operands(const Op& o, torch::Dtype dt = torch::kFloat32) {
  torch::manual_seed(3);
  return {torch::rand(o.x, dt), torch::randn(o.w, dt) * 0.3};
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, ShapesAndDeterminism) {
  for (const Op& o : ops()) {
    auto [x, w] = operands(o);
    auto hw = test::make_hw(GetParam().yaml);
    torch::NoGradGuard g;
    torch::manual_seed(11);
    torch::Tensor a = hw->exact(x, w, o.op);
    torch::manual_seed(11);
    torch::Tensor b = hw->exact(x, w, o.op);
    EXPECT_EQ(a.sizes(), o.op.apply(x, w).sizes());
    EXPECT_TRUE(torch::equal(a, b)) << "exact() differs between two calls with the same seed";
    EXPECT_EQ(hw->proxy(x, w, o.op).sizes(), a.sizes());
  }
}

TEST_P(Conformance, IdealSettingsEqualReference) {
  if (GetParam().ideal_yaml.empty()) GTEST_SKIP() << "no ideal settings for this model";
  for (const Op& o : ops()) {
    auto [x, w] = operands(o);
    torch::NoGradGuard g;
    torch::manual_seed(5);
    torch::Tensor a = test::make_hw(GetParam().ideal_yaml)->exact(x, w, o.op);
    torch::manual_seed(5);
    torch::Tensor r = test::make_hw(GetParam().reference_yaml)->exact(x, w, o.op);
    double scale = r.abs().max().item<double>() + 1e-12;
    EXPECT_LE((a - r).abs().max().item<double>(), GetParam().ideal_rtol * scale);
  }
}

TEST_P(Conformance, ExactModeIsExactForwardWithProxyGradient) {
  for (const Op& o : ops()) {
    auto [x0, w0] = operands(o);
    auto hw = test::make_hw(GetParam().yaml);
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::manual_seed(9);
    torch::Tensor y = hw->forward(x, w, o.op, hw::Mode::Exact);
    torch::Tensor e;
    {
      torch::NoGradGuard g;
      torch::manual_seed(9);
      e = hw->exact(x0, w0, o.op);
    }
    EXPECT_TRUE(torch::allclose(y.detach(), e, 1e-5, 1e-6)) << "exact-mode forward != exact()";
    torch::Tensor up = torch::randn(y.sizes());
    auto g1 = torch::autograd::grad({(y * up).sum()}, {x, w});
    torch::Tensor x2 = x0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true);
    auto g2 = torch::autograd::grad({(hw->proxy(x2, w2, o.op) * up).sum()}, {x2, w2});
    EXPECT_TRUE(torch::allclose(g1[0], g2[0], 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(g1[1], g2[1], 1e-5, 1e-6));
  }
}

TEST_P(Conformance, ProxyGradientMatchesFiniteDifferences) {
  const std::string yaml = GetParam().smooth_yaml.empty() ? GetParam().yaml : GetParam().smooth_yaml;
  for (const Op& o : ops()) {
    auto [x0, w0] = operands(o, torch::kFloat64);
    auto hw = test::make_hw(yaml);
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::Tensor up = torch::randn(o.op.apply(x0, w0).sizes(), torch::kFloat64);
    auto f = [&](const torch::Tensor& xx, const torch::Tensor& ww) {
      return (hw->proxy(xx, ww, o.op) * up).sum().item<double>();
    };
    auto g = torch::autograd::grad({(hw->proxy(x, w, o.op) * up).sum()}, {x, w});
    const double eps = 1e-3;  // far above the 24-bit quantisation step, small against curvature
    for (int which = 0; which < 2; ++which) {
      torch::Tensor base = which == 0 ? x0 : w0;
      for (std::int64_t k : {std::int64_t{0}, base.numel() / 2, base.numel() - 1}) {
        torch::Tensor p = base.clone(), m = base.clone();
        p.view(-1)[k] += eps;
        m.view(-1)[k] -= eps;
        double fd = which == 0 ? (f(p, w0) - f(m, w0)) / (2 * eps) : (f(x0, p) - f(x0, m)) / (2 * eps);
        double an = g[which].view(-1)[k].item<double>();
        EXPECT_NEAR(an, fd, 2e-3 * std::max(1.0, std::abs(fd))) << (which ? "weight" : "input") << " element " << k;
      }
    }
  }
}

TEST_P(Conformance, ConfigRoundTrips) {
  hw::LayerHwSpec s = test::layer_hw(GetParam().yaml);
  std::string once = config::to_yaml_string(s.dump());
  hw::LayerHwSpec again = test::layer_hw(once);
  EXPECT_EQ(config::to_yaml_string(again.dump()), once);
}

INSTANTIATE_TEST_SUITE_P(Hardware, Conformance, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Presets, EveryPresetParsesAndRoundTrips) {
  namespace fs = boost::filesystem;
  fs::path dir = fs::path(test::source_dir()) / "configs" / "hw";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    YAML::Node doc;
    doc["hardware"] = e.path().string();
    config::Section root({{doc, "<test>"}}, "");
    hw::HardwareSpec h = hw::HardwareSpec::parse_from(root, "<test>");
    YAML::Node dumped = h.dump();
    dumped.remove("preset");
    YAML::Node doc2;
    doc2["hardware"] = dumped;
    config::Section root2({{doc2, "<test>"}}, "");
    hw::HardwareSpec h2 = hw::HardwareSpec::parse_from(root2, "<test>");
    YAML::Node d2 = h2.dump();
    EXPECT_EQ(config::to_yaml_string(d2), config::to_yaml_string(dumped)) << e.path();
    auto layer = h.base.make(hw::LayerInfo{"l", 0, 1});
    EXPECT_TRUE(layer != nullptr);
  }
  EXPECT_GT(n, 0) << "no presets in " << dir;
}

}  // namespace
}  // namespace ax
