// Conformance suite over hardware models: every case builds, keeps shapes, is deterministic for a
// fixed seed, equals its reference under ideal settings, implements the `exact` mode contract
// (forward = exact(), gradient = proxy's), its proxy gradient passes a finite-difference check,
// its config round-trips, and its inject mode (error model calibrated on one batch) reproduces the
// exact error's statistics on another. Every preset in configs/hw/ parses and round-trips. The
// hardware registries drive it: a registered arithmetic or storage type without a row fails
// (Conformance.EveryRegisteredTypeHasACase), so a new hardware model must add its row.
#include <fstream>
#include <set>

// Weights always go through read_weight() first, as in a layer, so storage models (ntv) are
// tested by the same rows.
#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/spec.h"
#include "axtrain/inject/error_model.h"
#include "axtrain/run/run_config.h"
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

// 7-bit tables written once into a temp dir: the exact product, and a deliberately asymmetric
// approximation (low bits of port B dropped when A is odd).
std::string table_file(bool exact) {
  static std::string dir;
  if (dir.empty()) {
    dir = test::temp_dir("conformance-tables");
    std::string e = "# name=exact7 bits_a=7 bits_b=7\n", a = "# name=asym7 bits_a=7 bits_b=7\n";
    for (int i = 0; i < 128; ++i)
      for (int j = 0; j < 128; ++j) {
        e += std::to_string(i * j) + (j < 127 ? " " : "\n");
        a += std::to_string(i * ((i & 1) ? (j & ~3) : j)) + (j < 127 ? " " : "\n");
      }
    std::ofstream(dir + "/exact7.txt") << e;
    std::ofstream(dir + "/asym7.txt") << a;
  }
  return dir + (exact ? "/exact7.txt" : "/asym7.txt");
}

std::vector<Case> cases() {
  // approx_mul: the proxy is the float op on fake-quantised operands; 24-bit operands make it
  // smooth enough for finite differences.
  const std::string am_smooth = "{type: approx_mul, multiplier: {type: exact, bits: 23}}";
  return {
      {"ideal", "{type: ideal}", "{type: ideal}", "{type: ideal}", ""},
      {"fixed_point", "{type: fixed_point, input: {bits: 4}, weight: {bits: 4}}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}}", "{type: ideal}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}}", 1e-5},
      // Stochastic computing has no setting that reproduces float arithmetic (at most 1024
      // levels, stream correlation, OR saturation by design), so no ideal row. The smooth row
      // runs the same SC_act proxy on unquantised operands: fake quantisation is piecewise
      // constant, so finite differences of the quantised proxy are 0 almost everywhere.
      {"sc", "{type: sc}", "", "", "{type: sc, proxy_operands: float}"},
      {"sc_bipolar_64", "{type: sc, stream_length: 64, encoding: bipolar, flip_rate: 0.05}", "", "",
       "{type: sc, stream_length: 64, encoding: bipolar, proxy_operands: float}"},
      // Ideal settings: the exact table / DRUM with k ≥ operand width = fixed point, same bits.
      {"approx_mul_table", "{type: approx_mul, multiplier: {type: table, path: " + table_file(false) + "}}",
       "{type: approx_mul, multiplier: {type: table, path: " + table_file(true) + "}}",
       "{type: fixed_point, input: {bits: 8, signed: true}, weight: {bits: 8}}", am_smooth, 1e-5},
      {"approx_mul_drum8", "{type: approx_mul, multiplier: {type: drum, bits: 8, k: 3}}",
       "{type: approx_mul, multiplier: {type: drum, bits: 8, k: 8}}",
       "{type: fixed_point, input: {bits: 9, signed: true}, weight: {bits: 9}}", am_smooth, 1e-5},
      {"approx_mul_drum16",
       "{type: approx_mul, multiplier: {type: drum, bits: 16, k: 4}, input: {bits: 16, scale: pow2}, "
       "weight: {bits: 16, scale: pow2}}",
       "{type: approx_mul, multiplier: {type: drum, bits: 16, k: 16}, input: {bits: 16, scale: pow2}, "
       "weight: {bits: 16, scale: pow2}}",
       "{type: fixed_point, input: {bits: 16, scale: pow2, signed: true}, weight: {bits: 16, scale: pow2}}",
       am_smooth, 1e-5},
      {"approx_mul_udm", "{type: approx_mul, multiplier: {type: udm, bits: 8}}",
       "{type: approx_mul, multiplier: {type: exact, bits: 8}}",
       "{type: fixed_point, input: {bits: 9, signed: true}, weight: {bits: 9}}", am_smooth, 1e-5},
      // analog with an ideal ADC is the fixed-point layer with 8-bit unsigned inputs and 8-bit
      // signed weights (both max-abs scaled, round half to even, symmetric weights), accumulated
      // in integers; the smooth settings use 24-bit operands, no ADC and no clamp.
      {"analog", "{type: analog}", "{type: analog, adc_bits: 0}",
       "{type: fixed_point, input: {bits: 8, signed: false}, weight: {bits: 8}}",
       "{type: analog, input: {bits: 24}, weight: {bits: 24}, adc_bits: 0}", 1e-5},
      {"analog_per_array", "{type: analog, proxy: per_array, array_size: 4, linear_array_size: 5}",
       "{type: analog, adc_bits: 0, array_size: 4, linear_array_size: 5}",
       "{type: fixed_point, input: {bits: 8, signed: false}, weight: {bits: 8}}",
       "{type: analog, input: {bits: 24}, weight: {bits: 24}, full_scale: max, proxy: per_array}", 1e-5},
      // ntv at flip rate 0 stores 16-bit two's-complement words with step 2^(I−15),
      // I = floor(log2 max|w|) + 1: that is fixed_point's `pow2` weight policy with 16 bits
      // (step 2^ceil(log2(max|w| / 32767)), equal unless max|w| lies within 2^-15 below a power
      // of two) on ideal (24-bit) inputs; smooth: 32-bit words, no flips.
      {"ntv", "{type: ntv, flip_rate: 0.01}", "{type: ntv, flip_rate: 0}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 16, scale: pow2}}",
       "{type: ntv, flip_rate: 0, word_bits: 32}", 1e-5},
      {"fixed_point_ntv", "{type: fixed_point, storage: {type: ntv, flip_rate: 0.1, ste: clipped}}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}, storage: {type: ntv, flip_rate: 0}}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 16, scale: pow2}}",
       "{type: fixed_point, input: {bits: 24}, weight: {bits: 24}, storage: {type: ntv, flip_rate: 0, word_bits: 32}}",
       1e-5},
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

// The layer's path: the weight as read from storage (if any), then the arithmetic.
torch::Tensor run_exact(hw::LayerHardware& h, const torch::Tensor& x, const torch::Tensor& w, const hw::MacOp& op) {
  return h.exact(x, h.read_weight(w, hw::Mode::Exact), op);
}
torch::Tensor run_proxy(hw::LayerHardware& h, const torch::Tensor& x, const torch::Tensor& w, const hw::MacOp& op) {
  return h.proxy(x, h.read_weight(w, hw::Mode::Proxy), op);
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, ShapesAndDeterminism) {
  for (const Op& o : ops()) {
    auto [x, w] = operands(o);
    auto hw = test::make_hw(GetParam().yaml);
    torch::NoGradGuard g;
    torch::manual_seed(11);
    torch::Tensor a = run_exact(*hw, x, w, o.op);
    torch::manual_seed(11);
    torch::Tensor b = run_exact(*hw, x, w, o.op);
    EXPECT_EQ(a.sizes(), o.op.apply(x, w).sizes());
    EXPECT_TRUE(torch::equal(a, b)) << "exact() differs between two calls with the same seed";
    EXPECT_EQ(run_proxy(*hw, x, w, o.op).sizes(), a.sizes());
  }
}

TEST_P(Conformance, IdealSettingsEqualReference) {
  if (GetParam().ideal_yaml.empty()) GTEST_SKIP() << "no ideal settings for this model";
  for (const Op& o : ops()) {
    auto [x, w] = operands(o);
    torch::NoGradGuard g;
    torch::manual_seed(5);
    torch::Tensor a = run_exact(*test::make_hw(GetParam().ideal_yaml), x, w, o.op);
    torch::manual_seed(5);
    torch::Tensor r = run_exact(*test::make_hw(GetParam().reference_yaml), x, w, o.op);
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
    torch::Tensor y = hw->forward(x, hw->read_weight(w, hw::Mode::Exact), o.op, hw::Mode::Exact);
    torch::Tensor e;
    {
      torch::NoGradGuard g;
      torch::manual_seed(9);
      e = run_exact(*hw, x0, w0, o.op);
    }
    EXPECT_TRUE(torch::allclose(y.detach(), e, 1e-5, 1e-6)) << "exact-mode forward != exact()";
    torch::Tensor up = torch::randn(y.sizes());
    auto g1 = torch::autograd::grad({(y * up).sum()}, {x, w});
    torch::Tensor x2 = x0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true);
    torch::manual_seed(9);
    auto g2 = torch::autograd::grad({(run_proxy(*hw, x2, w2, o.op) * up).sum()}, {x2, w2});
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
      return (run_proxy(*hw, xx, ww, o.op) * up).sum().item<double>();
    };
    auto g = torch::autograd::grad({(run_proxy(*hw, x, w, o.op) * up).sum()}, {x, w});
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

// Inject mode against the accurate model: calibrate the hardware's own error model on batch A
// (the net output, `split: output`, so that the net error is what the model describes), then on
// batch B the injected error (inject − proxy) has the mean and std of the exact error (exact −
// proxy), within 0.1 and 0.15 of the exact error's std. Where exact ≡ proxy (ideal arithmetic,
// ntv's storage faults being in the weights), nothing is injected.
TEST_P(Conformance, InjectModeReproducesTheExactErrorStatistics) {
  const hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::manual_seed(21);
  const torch::Tensor xa = torch::rand({256, 48}), xb = torch::rand({256, 48}), w = torch::randn({24, 48}) * 0.3;
  auto hw = test::make_hw(GetParam().yaml);
  inject::ErrorModelOptions o;
  o.kind = hw->default_error_kind();
  o.per_polarity = false;
  hw->set_error_model(inject::make_error_model(o));
  torch::NoGradGuard g;
  torch::manual_seed(22);
  const torch::Tensor wa = hw->read_weight(w, hw::Mode::Inject);
  hw->request_calibration(true);
  hw->forward(xa, wa, op, hw::Mode::Inject);
  hw->request_calibration(false);
  // One read of the stored weights (storage faults, if any, are real in every mode and are not
  // the error model's business): both errors are against the proxy on the same weights.
  torch::manual_seed(24);
  const torch::Tensor wb = hw->read_weight(w, hw::Mode::Inject);
  torch::manual_seed(23);
  const torch::Tensor proxy = hw->proxy(xb, wb, op);
  const torch::Tensor exact_err = hw->exact(xb, wb, op) - proxy;
  const torch::Tensor injected_err = hw->forward(xb, wb, op, hw::Mode::Inject) - proxy;
  const double se = exact_err.std().item<double>(), si = injected_err.std().item<double>();
  const double me = exact_err.mean().item<double>(), mi = injected_err.mean().item<double>();
  const double out_scale = proxy.abs().max().item<double>();
  if (se <= 1e-6 * out_scale) {  // the accurate model is its proxy: no error to inject
    EXPECT_LE(std::abs(mi), 1e-5 * out_scale);
    EXPECT_LE(si, 1e-5 * out_scale);
    return;
  }
  EXPECT_LE(std::abs(mi - me), 0.1 * se) << "mean: injected " << mi << ", exact " << me << ", exact std " << se;
  EXPECT_LE(std::abs(si - se), 0.15 * se) << "std: injected " << si << ", exact " << se;
}

INSTANTIATE_TEST_SUITE_P(Hardware, Conformance, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// The registries drive the suite: every registered arithmetic type is the base of a case, every
// registered storage type is some case's storage (or, for ntv, both).
TEST(Conformance, EveryRegisteredTypeHasACase) {
  hw::register_all();
  std::set<std::string> bases, storages;
  for (const Case& c : cases()) {
    const YAML::Node n = YAML::Load(c.yaml);
    bases.insert(n["type"].as<std::string>());
    if (n["storage"]) storages.insert(n["storage"]["type"].as<std::string>());
  }
  for (const auto& name : hw::hardware_registry().names())
    EXPECT_TRUE(bases.count(name)) << "hardware type '" << name << "' is registered but has no conformance case "
                                   << "(add a row to cases() in tests/unit/hw_conformance_test.cpp)";
  for (const auto& name : hw::storage_registry().names())
    EXPECT_TRUE(storages.count(name)) << "storage type '" << name << "' is registered but no case uses it";
}

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
    hw::HardwareSpec h;
    try {
      h = hw::HardwareSpec::parse_from(root, "<test>");
    } catch (const DataError& err) {
      // Presets that name data in ../shared (e.g. multiplier tables) need it.
      if (!fs::exists(test::shared_dir())) {
        std::cerr << "skipping " << e.path() << ": ../shared absent (" << err.what() << ")\n";
        continue;
      }
      throw;
    }
    YAML::Node dumped = h.dump();
    dumped.remove("preset");
    YAML::Node doc2;
    doc2["hardware"] = dumped;
    config::Section root2({{doc2, "<test>"}}, "");
    hw::HardwareSpec h2 = hw::HardwareSpec::parse_from(root2, "<test>");
    YAML::Node d2 = h2.dump();
    EXPECT_EQ(config::to_yaml_string(d2), config::to_yaml_string(dumped)) << e.path();
    // The preset computes: a 2×5 · 5→3 layer gives a finite 2×3 output.
    auto layer = h.base.make(hw::LayerInfo{"l", 0, 1});
    torch::NoGradGuard g;
    const hw::MacOp op{hw::MacOp::Kind::Linear};
    const torch::Tensor w = torch::linspace(-0.5, 0.5, 15).reshape({3, 5});
    const torch::Tensor y = layer->exact(torch::linspace(0, 1, 10).reshape({2, 5}), layer->read_weight(w, hw::Mode::Exact), op);
    EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 3})) << e.path();
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << e.path();
  }
  EXPECT_GT(n, 0) << "no presets in " << dir;
}

}  // namespace
}  // namespace ax
