// The approx_mul layer model: its integer accumulator against an independent scalar loop (direct
// convolution / dot product in sign-magnitude form over the same integer operands) for every
// evaluation path (LUT, mantissa/shift, per-pair), both port assignments, negative inputs,
// stride/padding/groups; accumulator width; output scaling; option validation.
#include <fstream>
#include <functional>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/hw/approx_mul/engine.h"

#include "axtrain/core/errors.h"
#include "axtrain/hw/approx_mul/approx_mul.h"
#include "axtrain/hw/approx_mul/table.h"
#include "test_util.h"

namespace ax {
namespace {

// An asymmetric 4-bit table (written to a temp file): T[a][b] = a·b + (a > b ? a − b : 0), capped.
std::string asym_table() {
  static std::string path;
  if (!path.empty()) return path;
  std::string dir = test::temp_dir("asym");
  std::string text = "# name=asym4 bits_a=4 bits_b=4 source=test\n";
  for (int a = 0; a < 16; ++a) {
    for (int b = 0; b < 16; ++b) text += std::to_string(std::min(255, a * b + (a > b ? a - b : 0))) + (b < 15 ? " " : "\n");
  }
  path = dir + "/asym4.txt";
  std::ofstream(path) << text;
  return path;
}

int asym(int a, int b) { return std::min(255, a * b + (a > b ? a - b : 0)); }

// Independent DRUM (16-bit path) and UDM (pair path) references.
std::int64_t drum(std::int64_t a, std::int64_t b, int k) {
  auto ap = [k](std::int64_t v) {
    std::int64_t s = 0;
    while ((v >> s) >= (std::int64_t{1} << k)) ++s;
    return s == 0 ? v : (((v >> s) | 1) << s);
  };
  return ap(a) * ap(b);
}

// Σ sign·M(|a|,|w|) by direct loops over NCHW/OIHW (linear: H = W = kh = kw = 1).
torch::Tensor reference(const torch::Tensor& xi, const torch::Tensor& wi, const hw::MacOp& op,
                        const std::function<std::int64_t(std::int64_t, std::int64_t)>& m) {
  torch::Tensor x = xi.to(torch::kInt64), w = wi.to(torch::kInt64);
  bool lin = op.kind == hw::MacOp::Kind::Linear;
  if (lin) {
    x = x.view({x.size(0), x.size(1), 1, 1});
    w = w.view({w.size(0), w.size(1), 1, 1});
  }
  auto xa = x.accessor<std::int64_t, 4>();
  auto wa = w.accessor<std::int64_t, 4>();
  std::int64_t N = x.size(0), H = x.size(2), W = x.size(3), O = w.size(0), Cg = w.size(1), kh = w.size(2),
               kw = w.size(3), G = lin ? 1 : op.groups, s = lin ? 1 : op.stride, p = lin ? 0 : op.padding;
  std::int64_t Ho = (H + 2 * p - kh) / s + 1, Wo = (W + 2 * p - kw) / s + 1;
  torch::Tensor out = torch::zeros({N, O, Ho, Wo}, torch::kInt64);
  auto oa = out.accessor<std::int64_t, 4>();
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t i = 0; i < Ho; ++i)
        for (std::int64_t j = 0; j < Wo; ++j) {
          std::int64_t sum = 0, g = o / (O / G);
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t u = 0; u < kh; ++u)
              for (std::int64_t v = 0; v < kw; ++v) {
                std::int64_t ih = i * s - p + u, iw = j * s - p + v;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                std::int64_t a = xa[n][g * Cg + c][ih][iw], b = wa[o][c][u][v];
                std::int64_t mag = m(std::llabs(a), std::llabs(b));
                sum += (a < 0) != (b < 0) ? -mag : mag;
              }
          oa[n][o][i][j] = sum;
        }
  return lin ? out.view({N, O}) : out;
}

struct Shape {
  hw::MacOp op;
  std::vector<std::int64_t> x, w;
};

std::vector<Shape> shapes() {
  return {{hw::MacOp{hw::MacOp::Kind::Linear}, {3, 20}, {7, 20}},
          {hw::MacOp{hw::MacOp::Kind::Conv2d, 1, 2}, {2, 3, 7, 7}, {5, 3, 5, 5}},
          {hw::MacOp{hw::MacOp::Kind::Conv2d, 2, 1, 1, 2}, {2, 4, 6, 5}, {6, 2, 3, 3}}};
}

void check_against_reference(const std::string& yaml, std::int64_t a_max, std::int64_t w_max,
                             const std::function<std::int64_t(std::int64_t, std::int64_t)>& m) {
  auto hw = test::make_hw(yaml);
  for (const Shape& s : shapes()) {
    torch::manual_seed(7);
    // Mixed-sign inputs on purpose (sign-magnitude handles them); the extremes appear.
    torch::Tensor x = torch::randn(s.x), w = torch::randn(s.w);
    x.view(-1)[0] = 0.0;
    hw::IntegerTrace t = hw->trace(x, w, s.op);
    ASSERT_TRUE(t.exact_int.defined());
    EXPECT_EQ(t.input_int.abs().max().item<std::int64_t>(), a_max);
    EXPECT_EQ(t.weight_int.abs().max().item<std::int64_t>(), w_max);
    torch::Tensor ref = reference(t.input_int, t.weight_int, s.op, m);
    EXPECT_TRUE(torch::equal(t.exact_int, ref)) << yaml << "\n" << (t.exact_int - ref).abs().max();
    torch::Tensor y = hw->exact(x, w, s.op);
    torch::Tensor expect = (ref.to(torch::kFloat64) * (t.input_scale * t.weight_scale)).to(torch::kFloat32);
    EXPECT_TRUE(torch::allclose(y, expect, 1e-6, 1e-6)) << yaml;
    EXPECT_NEAR(t.input_scale, x.abs().max().item<double>() / a_max, 1e-9);
  }
}

TEST(ApproxMulLayer, LutPathMatchesScalarLoopBothPorts) {
  std::string p = asym_table();
  check_against_reference("{type: approx_mul, multiplier: {type: table, path: " + p + "}}", 15, 15,
                          [](std::int64_t a, std::int64_t w) { return asym(a, w); });
  check_against_reference("{type: approx_mul, activation_port: b, multiplier: {type: table, path: " + p + "}}", 15, 15,
                          [](std::int64_t a, std::int64_t w) { return asym(w, a); });
  // Narrower operands than the table (4-bit signed weights: magnitudes ≤ 7).
  check_against_reference("{type: approx_mul, multiplier: {type: table, path: " + p + "}, weight: {bits: 4}}", 15, 7,
                          [](std::int64_t a, std::int64_t w) { return asym(a, w); });
}

TEST(ApproxMulLayer, Mul7u09YMatchesScalarLoop) {
  std::string path = test::shared_dir() + "/data/multipliers/mul7u_09Y.txt";
  if (!boost::filesystem::exists(path)) GTEST_SKIP() << "../shared/data/multipliers absent";
  auto t = hw::amul::load_table(path, "auto");
  check_against_reference("{type: approx_mul, multiplier: {type: table, path: " + path + "}}", 127, 127,
                          [t](std::int64_t a, std::int64_t w) { return static_cast<std::int64_t>(t->multiply(a, w)); });
}

TEST(ApproxMulLayer, ShiftPathDrum16MatchesScalarLoop) {
  check_against_reference("{type: approx_mul, multiplier: {type: drum, bits: 16, k: 4}, input: {bits: 16}, "
                          "weight: {bits: 16}}", 32767, 32767,
                          [](std::int64_t a, std::int64_t w) { return drum(a, w, 4); });
  check_against_reference("{type: approx_mul, multiplier: {type: drum, bits: 16, k: 7}}", 65535, 65535,
                          [](std::int64_t a, std::int64_t w) { return drum(a, w, 7); });
  check_against_reference("{type: approx_mul, multiplier: {type: exact, bits: 12}}", 4095, 4095,
                          [](std::int64_t a, std::int64_t w) { return a * w; });
}

TEST(ApproxMulLayer, TabulatedDrumAndPairPathUdm) {
  check_against_reference("{type: approx_mul, multiplier: {type: drum, bits: 8, k: 3}}", 255, 255,
                          [](std::int64_t a, std::int64_t w) { return drum(a, w, 3); });
  // UDM 16-bit runs per pair; reference: digit-by-digit sum over base-4 digits with 3×3 = 7.
  auto udm = [](std::int64_t a, std::int64_t w) {
    std::int64_t s = 0;
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        std::int64_t da = (a >> (2 * i)) & 3, dw = (w >> (2 * j)) & 3;
        s += (da == 3 && dw == 3 ? 7 : da * dw) << (2 * (i + j));
      }
    return s;
  };
  check_against_reference("{type: approx_mul, multiplier: {type: udm, bits: 16}}", 65535, 65535, udm);
}

TEST(ApproxMulLayer, WideFanInSwitchesToInt64Accumulator) {
  auto hw = test::make_hw("{type: approx_mul, multiplier: {type: exact, bits: 8}, input: {scale: 1}, weight: {scale: 1}}");
  const std::int64_t fan_in = 40000;  // 40000 · 255 · 255 = 2,601,000,000 > 2^31
  torch::Tensor x = torch::full({1, fan_in}, 255.0), w = torch::full({2, fan_in}, 255.0);
  w[1] = -255.0;
  hw::IntegerTrace t = hw->trace(x, w, hw::MacOp{hw::MacOp::Kind::Linear});
  EXPECT_EQ(t.exact_int[0][0].item<std::int64_t>(), 2601000000LL);
  EXPECT_EQ(t.exact_int[0][1].item<std::int64_t>(), -2601000000LL);
}

// The gather kernel (the fallback for layers whose expanded table would be too large) against the
// same scalar loops, by lowering the table limit; and a table multiplier whose sums overflow int32.
TEST(ApproxMulLayer, GatherKernelMatchesScalarLoop) {
  struct Restore {
    double saved = hw::amul::IntegerMac::expanded_limit_bytes;
    ~Restore() { hw::amul::IntegerMac::expanded_limit_bytes = saved; }
  } restore;
  hw::amul::IntegerMac::expanded_limit_bytes = 0;
  std::string p = asym_table();
  check_against_reference("{type: approx_mul, multiplier: {type: table, path: " + p + "}}", 15, 15,
                          [](std::int64_t a, std::int64_t w) { return asym(a, w); });
  check_against_reference("{type: approx_mul, activation_port: b, multiplier: {type: table, path: " + p + "}}", 15, 15,
                          [](std::int64_t a, std::int64_t w) { return asym(w, a); });
}

TEST(ApproxMulLayer, TableWithWideFanInAccumulatesInInt64) {
  const std::string dir = test::temp_dir("exact8-table");
  {
    std::ofstream f(dir + "/exact8.txt");
    f << "# name=exact8 bits_a=8 bits_b=8\n";
    for (int i = 0; i < 256; ++i)
      for (int j = 0; j < 256; ++j) f << i * j << (j < 255 ? " " : "\n");
  }
  auto hw = test::make_hw("{type: approx_mul, multiplier: {type: table, path: " + dir +
                          "/exact8.txt}, input: {bits: 9, scale: 1}, weight: {bits: 9, scale: 1}}");
  const std::int64_t fan_in = 40000;  // 40000 · 255 · 255 = 2,601,000,000 > 2^31
  torch::Tensor x = torch::full({1, fan_in}, 255.0), w = torch::full({2, fan_in}, 255.0);
  w[1] = -255.0;
  hw::IntegerTrace t = hw->trace(x, w, hw::MacOp{hw::MacOp::Kind::Linear});
  EXPECT_EQ(t.exact_int[0][0].item<std::int64_t>(), 2601000000LL);
  EXPECT_EQ(t.exact_int[0][1].item<std::int64_t>(), -2601000000LL);
}

TEST(ApproxMulLayer, FixedScaleSaturatesAndDequantises) {
  // q7 convention: scale 1/128, magnitudes clamp at 127 (x = 2 → 127).
  auto hw = test::make_hw("{type: approx_mul, input: {scale: 0.0078125}, weight: {scale: 0.0078125}}");
  torch::Tensor x = torch::tensor({{0.5, 2.0, -0.25}}), w = torch::tensor({{0.25, 0.5, 1.0}});
  hw::IntegerTrace t = hw->trace(x, w, hw::MacOp{hw::MacOp::Kind::Linear});
  EXPECT_TRUE(torch::equal(t.input_int.to(torch::kInt64), torch::tensor({{64, 127, -32}}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(t.weight_int.to(torch::kInt64), torch::tensor({{32, 64, 127}}, torch::kInt64)));
  EXPECT_EQ(t.exact_int.item<std::int64_t>(), 64 * 32 + 127 * 64 - 32 * 127);
  EXPECT_NEAR(hw->exact(x, w, hw::MacOp{hw::MacOp::Kind::Linear}).item<double>(), (2048 + 8128 - 4064) / 16384.0, 1e-7);
}

TEST(ApproxMulLayer, OperandWidthBeyondMultiplierIsAConfigError) {
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: exact, bits: 7}, input: {bits: 9}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: exact, bits: 7}, weight: {bits: 8, signed: false}}"),
               ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: udm, bits: 6}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: drum, k: 4, path: x}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: table}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: approx_mul, multiplier: {type: table, path: /nonexistent/t.txt}}"), DataError);
  EXPECT_NO_THROW(test::make_hw("{type: approx_mul, multiplier: {type: exact, bits: 7}, input: {bits: 7, signed: false}}"));
}

TEST(ApproxMulLayer, PresetsResolveTheTablePath) {
  std::string path = test::shared_dir() + "/data/multipliers/mul7u_09Y.txt";
  if (!boost::filesystem::exists(path)) GTEST_SKIP() << "../shared/data/multipliers absent";
  // configs/hw/mul7u_09Y.yaml: ${AXTRAIN_DATA:-../shared/data}, relative to the working directory
  // (the tests run in the source tree).
  YAML::Node doc;
  doc["hardware"] = test::source_dir() + "/configs/hw/mul7u_09Y.yaml";
  config::Section root({{doc, "<test>"}}, "");
  hw::HardwareSpec h = hw::HardwareSpec::parse_from(root, "<test>");
  auto layer = h.base.make(hw::LayerInfo{"l", 0, 1});
  torch::Tensor x = torch::tensor({{90.0f, 0.0f}, {127.0f, 0.0f}}), w = torch::tensor({{17.0f, 127.0f}, {-64.0f, 127.0f}});
  hw::IntegerTrace t = layer->trace(x, w, hw::MacOp{hw::MacOp::Kind::Linear});
  // Scales: max|x| = 127 → 1; max|w| = 127 → 1. M(90,17) = 1602, M(127,64) = 8246 (port A = activation).
  EXPECT_EQ(t.exact_int[0][0].item<std::int64_t>(), 1602);
  EXPECT_EQ(t.exact_int[1][1].item<std::int64_t>(), -8246);
}

}  // namespace
}  // namespace ax
