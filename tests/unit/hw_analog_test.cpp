// `analog` hardware: a hand-worked example, the integer kernel against an independent scalar
// loop, the ideal ADC against the fixed-point result, error vs ADC bits, calibration, proxies.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/analog/analog_hw.h"
#include "axtrain/hw/analog/proxy.h"
#include "test_util.h"

namespace ax {
namespace {

using hw::MacOp;
const MacOp kLinear{MacOp::Kind::Linear};

torch::Tensor buffer(hw::LayerHardware& h, const std::string& name) {
  return h.named_buffers()[name];
}

// 2 outputs, 6 inputs, arrays of 3, 2-bit ADC (codes 0..3), FS = 48 integer units, so the ADC
// step is Δ = 16 and code(P) = min(round(P / 16), 3). Input scale 0.5, weight scale 0.25.
TEST(Analog, HandWorkedLinearExample) {
  auto h = test::make_hw(
      "{type: analog, input: {scale: 0.5}, weight: {scale: 0.25}, adc_bits: 2, full_scale: 48, "
      "linear_array_size: 3}");
  // input codes [10, 20, 0 | 5, 5, 5]
  torch::Tensor x = torch::tensor({{5.0, 10.0, 0.0, 2.5, 2.5, 2.5}}, torch::kFloat64);
  // weight codes row 0: [1, -2, 3 | 4, 0, -3], row 1: [5, 3, -7 | 10, 2, -9]
  torch::Tensor w = torch::tensor({{0.25, -0.5, 0.75, 1.0, 0.0, -0.75},
                                   {1.25, 0.75, -1.75, 2.5, 0.5, -2.25}}, torch::kFloat64);
  // Row 0, array 1: P+ = 10·1 + 0·3 = 10 → round(0.625) = 1;  P- = 20·2 = 40 → round(2.5) = 2 (half to even)
  //        array 2: P+ = 5·4 = 20 → round(1.25) = 1;          P- = 5·3 = 15 → round(0.9375) = 1
  //        codes: (1 - 2) + (1 - 1) = -1
  // Row 1, array 1: P+ = 10·5 + 20·3 = 110 → round(6.875) = 7 → saturates at 3;  P- = 0·7 = 0 → 0
  //        array 2: P+ = 5·10 + 5·2 = 60 → round(3.75) = 4 → 3;                 P- = 5·9 = 45 → round(2.8125) = 3
  //        codes: (3 - 0) + (3 - 3) = 3
  // Output = codes · Δ · s_a · s_w = codes · 16 · 0.5 · 0.25 = codes · 2.
  torch::Tensor y = h->exact(x, w, kLinear);
  EXPECT_DOUBLE_EQ(y[0][0].item<double>(), -2.0);
  EXPECT_DOUBLE_EQ(y[0][1].item<double>(), 6.0);
  hw::IntegerTrace t = h->trace(x, w, kLinear);
  EXPECT_EQ(t.exact_int[0][0].item<std::int64_t>(), -1);
  EXPECT_EQ(t.exact_int[0][1].item<std::int64_t>(), 3);
  // Partial sums above FS = 48: row 1's P+ = 110 and P+ = 60, i.e. 2 of 8 (per call).
  EXPECT_DOUBLE_EQ(h->stats()["adc_saturation"].get<double>(), 0.25);
}

// Codes with fixed scales, computed here: clamp(round(v / s), lo, hi), torch::round = half to even.
torch::Tensor codes(const torch::Tensor& v, double s, double lo, double hi) {
  return torch::clamp(torch::round(v / s), lo, hi).to(torch::kInt64);
}

// The analog layer written as plain loops over products (positive products feed P+, negative P-).
torch::Tensor scalar_reference(const torch::Tensor& a, const torch::Tensor& wc, const MacOp& op,
                               std::int64_t A, std::int64_t levels, double fs) {
  const bool conv = op.kind == MacOp::Kind::Conv2d;
  const std::int64_t N = a.size(0), O = wc.size(0), G = conv ? op.groups : 1;
  const std::int64_t Cg = conv ? wc.size(1) : 0, kh = conv ? wc.size(2) : 1, kw = conv ? wc.size(3) : 1;
  const std::int64_t H = conv ? a.size(2) : 1, W = conv ? a.size(3) : 1;
  const std::int64_t OH = conv ? (H + 2 * op.padding - op.dilation * (kh - 1) - 1) / op.stride + 1 : 1;
  const std::int64_t OW = conv ? (W + 2 * op.padding - op.dilation * (kw - 1) - 1) / op.stride + 1 : 1;
  auto ac = a.accessor<std::int64_t, 4>();
  torch::Tensor out = torch::zeros({N, O, OH, OW}, torch::kInt64);
  const double gain = levels ? static_cast<double>(levels) / fs : 1.0;
  auto code = [&](std::int64_t p) -> std::int64_t {
    if (!levels) return p;
    return std::min<std::int64_t>(static_cast<std::int64_t>(std::nearbyint(static_cast<double>(p) * gain)), levels);
  };
  torch::Tensor w4 = conv ? wc : wc.view({O, -1, 1, 1});
  auto wa = w4.accessor<std::int64_t, 4>();
  const std::int64_t Og = O / G, C = w4.size(1);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t oh = 0; oh < OH; ++oh)
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          std::vector<std::int64_t> prods;
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t i = 0; i < kh; ++i)
              for (std::int64_t j = 0; j < kw; ++j) {
                std::int64_t ih = oh * op.stride - op.padding + i * op.dilation;
                std::int64_t iw = ow * op.stride - op.padding + j * op.dilation;
                std::int64_t av = 0;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) av = ac[n][(o / Og) * C + c][ih][iw];
                prods.push_back(av * wa[o][c][i][j]);
              }
          std::int64_t sum = 0;
          for (std::size_t s = 0; s < prods.size(); s += A) {
            std::int64_t pp = 0, pn = 0;
            for (std::size_t k = s; k < std::min(prods.size(), s + A); ++k)
              (prods[k] > 0 ? pp : pn) += std::abs(prods[k]);
            sum += code(pp) - code(pn);
          }
          out[n][o][oh][ow] = sum;
        }
  (void)Cg;
  return conv ? out : out.view({N, O});
}

struct KernelCase {
  MacOp op;
  std::vector<std::int64_t> x, w;
  std::int64_t array;
  bool negative_inputs;
};

TEST(Analog, IntegerKernelMatchesScalarLoop) {
  std::vector<KernelCase> cases = {
      {kLinear, {3, 10}, {4, 10}, 4, false},
      {kLinear, {2, 7}, {3, 7}, 7, true},
      {MacOp{MacOp::Kind::Conv2d, 1, 2}, {2, 2, 6, 6}, {5, 2, 5, 5}, 25, false},
      {MacOp{MacOp::Kind::Conv2d, 2, 1, 1, 2}, {2, 4, 7, 7}, {6, 2, 3, 3}, 5, true},
      {MacOp{MacOp::Kind::Conv2d, 1, 2, 2, 1}, {1, 3, 8, 8}, {4, 3, 3, 3}, 9, false},
      {MacOp{MacOp::Kind::Conv2d, 1, 0}, {2, 3, 4, 4}, {5, 3, 1, 1}, 1, false},
  };
  for (std::int64_t levels : {std::int64_t{0}, std::int64_t{7}}) {
    for (const KernelCase& c : cases) {
      torch::manual_seed(21);
      torch::Tensor x = torch::rand(c.x, torch::kFloat64) * 4.0;
      if (c.negative_inputs) x = x - 2.0;
      x = x * (torch::rand(c.x, torch::kFloat64) > 0.3);  // some exact zeros, as after ReLU
      torch::Tensor w = torch::randn(c.w, torch::kFloat64);
      const double sa = 1.0 / 64, sw = 1.0 / 32, fs = 3000;
      std::string key = c.op.kind == MacOp::Kind::Linear ? "linear_array_size" : "array_size";
      auto h = test::make_hw(fmt::format(
          "{{type: analog, input: {{scale: {}}}, weight: {{scale: {}}}, adc_bits: {}, full_scale: {}, {}: {}}}",
          sa, sw, levels ? 3 : 0, fs, key, c.array));
      torch::Tensor a = torch::sign(x).to(torch::kInt64) * codes(x.abs(), sa, 0, 255);
      torch::Tensor wc = codes(w, sw, -127, 127);
      torch::Tensor a4 = c.op.kind == MacOp::Kind::Conv2d ? a : a.view({a.size(0), a.size(1), 1, 1});
      torch::Tensor want = scalar_reference(a4, wc, c.op, c.array, levels, fs);
      hw::IntegerTrace t = h->trace(x, w, c.op);
      ASSERT_EQ(t.exact_int.sizes(), want.sizes());
      EXPECT_TRUE(torch::equal(t.exact_int, want)) << "levels " << levels << ", array " << c.array;
      EXPECT_TRUE(torch::equal(t.input_int.to(torch::kInt64), a));
      // And the output in the inputs' units.
      double step = levels ? fs / static_cast<double>(levels) : 1.0;
      torch::Tensor y = h->exact(x, w, c.op);
      EXPECT_TRUE(torch::allclose(y, want.to(torch::kFloat64) * (step * sa * sw), 1e-12, 1e-12));
    }
  }
}

// 16-bit inputs make partial sums beyond 2^24: the fp32 register tiles would not be exact, so the
// kernel takes its int32 path; both must agree with the scalar loop (8-bit layers above take the
// tiles).
TEST(Analog, WideOperandsTakeTheIntegerPathAndMatchScalarLoop) {
  const MacOp op{MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(5);
  torch::Tensor x = torch::rand({2, 3, 6, 6}, torch::kFloat64) * 65535.0;
  torch::Tensor w = torch::randn({9, 3, 3, 3}, torch::kFloat64) * 40.0;
  for (int bits : {0, 5}) {
    const double fs = 2e7;
    auto h = test::make_hw(fmt::format(
        "{{type: analog, input: {{bits: 16, scale: 1}}, weight: {{scale: 1}}, adc_bits: {}, full_scale: {}}}", bits, fs));
    torch::Tensor a = codes(x, 1.0, 0, 65535), wc = codes(w, 1.0, -127, 127);
    ASSERT_GT(9.0 * a.max().item<double>() * wc.abs().max().item<double>(), 16777216.0) << "not beyond 2^24";
    torch::Tensor want = scalar_reference(a, wc, op, 9, bits ? 31 : 0, fs);
    hw::IntegerTrace t = h->trace(x, w, op);
    EXPECT_TRUE(torch::equal(t.exact_int, want)) << "adc bits " << bits;
  }
}

// With an ideal ADC the layer is the fixed-point layer: integer accumulation of the codes.
TEST(Analog, IdealAdcEqualsFixedPointResult) {
  for (const auto& [op, xs, ws] : std::vector<std::tuple<MacOp, std::vector<std::int64_t>, std::vector<std::int64_t>>>{
           {kLinear, {5, 40}, {6, 40}},
           {MacOp{MacOp::Kind::Conv2d, 1, 2}, {2, 3, 9, 9}, {4, 3, 5, 5}}}) {
    torch::manual_seed(4);
    torch::Tensor x = torch::rand(xs, torch::kFloat64), w = torch::randn(ws, torch::kFloat64) * 0.2;
    auto h = test::make_hw("{type: analog, adc_bits: 0}");
    hw::IntegerTrace t = h->trace(x, w, op);
    const double sa = x.max().item<double>() / 255, sw = w.abs().max().item<double>() / 127;
    torch::Tensor xi = torch::round(x / sa), wi = torch::round(w / sw);
    torch::Tensor want = torch::round(op.apply(xi, wi)).to(torch::kInt64);  // exact in double
    EXPECT_TRUE(torch::equal(t.exact_int, want));
    torch::Tensor y = h->exact(x, w, op);
    EXPECT_TRUE(torch::allclose(y, op.apply(xi * sa, wi * sw), 1e-12, 1e-12));
  }
}

// Mean |y − y_float| over a few seeds must not grow as the ADC gets finer.
TEST(Analog, ErrorDoesNotGrowWithAdcBits) {
  const MacOp conv{MacOp::Kind::Conv2d, 1, 1};
  std::vector<double> err(9, 0.0);
  for (int seed = 0; seed < 4; ++seed) {
    torch::manual_seed(100 + seed);
    torch::Tensor x = torch::relu(torch::randn({4, 8, 8, 8}, torch::kFloat64));
    torch::Tensor w = torch::randn({8, 8, 3, 3}, torch::kFloat64) * 0.2;
    torch::Tensor ref = conv.apply(x, w);
    for (int b = 1; b <= 8; ++b) {
      auto h = test::make_hw(fmt::format("{{type: analog, adc_bits: {}}}", b));
      torch::NoGradGuard g;
      err[b] += (h->exact(x, w, conv) - ref).abs().mean().item<double>() / 4;
    }
  }
  for (int b = 2; b <= 8; ++b) EXPECT_LE(err[b], err[b - 1]) << "adc_bits " << b;
  EXPECT_LT(err[8], 0.1 * err[1]);
}

// Partial sums of a linear layer with arrays of A (fixed scales), P+ and P- of every array.
torch::Tensor linear_partial_sums(const torch::Tensor& a, const torch::Tensor& wc, std::int64_t A) {
  std::vector<torch::Tensor> ps;
  for (std::int64_t s = 0; s < a.size(1); s += A) {
    std::int64_t n = std::min(A, a.size(1) - s);
    torch::Tensor as = a.narrow(1, s, n).to(torch::kFloat64), ws = wc.narrow(1, s, n).to(torch::kFloat64);
    ps.push_back(torch::matmul(as, torch::relu(ws).t()).flatten());
    ps.push_back(torch::matmul(as, torch::relu(-ws).t()).flatten());
  }
  return torch::cat(ps);
}

// Nearest-rank percentile.
double percentile(const torch::Tensor& v, double q) {
  torch::Tensor s = std::get<0>(torch::sort(v));
  auto rank = static_cast<std::int64_t>(std::ceil(q / 100.0 * static_cast<double>(v.numel())));
  return s[std::max<std::int64_t>(rank, 1) - 1].item<double>();
}

TEST(Analog, CalibrationFreezesFullScaleAfterConfiguredBatches) {
  const std::string yaml =
      "{type: analog, input: {scale: 0.01}, weight: {scale: 0.01}, adc_bits: 4, percentile: 90, "
      "calibration_batches: 2, linear_array_size: 5, proxy_clamp: expected}";
  auto h = test::make_hw(yaml);
  torch::manual_seed(8);
  torch::Tensor w = torch::randn({4, 12}, torch::kFloat64) * 0.5;
  torch::Tensor wc = codes(w, 0.01, -127, 127);
  std::vector<torch::Tensor> xs, ps;
  for (int b = 0; b < 3; ++b) {
    xs.push_back(torch::rand({6, 12}, torch::kFloat64) * (1.0 + b));
    ps.push_back(linear_partial_sums(codes(xs.back(), 0.01, 0, 255), wc, 5));
  }
  auto expect_state = [&](const torch::Tensor& p, std::int64_t batches) {
    const double fs = percentile(p, 90);
    const double T = 3.0 * torch::clamp_max(p, fs).mean().item<double>();  // 3 arrays per output
    EXPECT_DOUBLE_EQ(buffer(*h, "full_scale").item<double>(), fs);
    EXPECT_NEAR(buffer(*h, "proxy_clamp").item<double>(), T, 1e-9 * T);
    EXPECT_EQ(buffer(*h, "calibrated_batches").item<std::int64_t>(), batches);
  };
  // One exact-mode forward = one calibration, although it calls proxy() and exact().
  h->forward(xs[0], w.clone().requires_grad_(true), kLinear, hw::Mode::Exact);
  expect_state(ps[0], 1);
  h->exact(xs[1], w, kLinear);
  expect_state(torch::cat({ps[0], ps[1]}), 2);
  h->exact(xs[2], w, kLinear);  // frozen
  expect_state(torch::cat({ps[0], ps[1]}), 2);

  // Eval mode never stores a calibration; an uncalibrated layer measures the batch itself.
  auto e = test::make_hw(yaml);
  e->eval();
  torch::Tensor ye = e->exact(xs[0], w, kLinear);
  EXPECT_EQ(buffer(*e, "calibrated_batches").item<std::int64_t>(), 0);
  auto once = test::make_hw(
      "{type: analog, input: {scale: 0.01}, weight: {scale: 0.01}, adc_bits: 4, percentile: 90, "
      "linear_array_size: 5}");
  EXPECT_TRUE(torch::equal(ye, once->exact(xs[0], w, kLinear)));
}

// The summed proxy: HardTanh_T of the split outputs, T in integer units times s_a·s_w.
// proxy_clamp: auto for the summed proxy = arrays per output × the calibrated FS.
TEST(Analog, AutoClampIsArraysTimesFullScale) {
  auto h = test::make_hw("{type: analog, input: {scale: 0.01}, weight: {scale: 0.01}, adc_bits: 4, percentile: 90, "
                         "linear_array_size: 5, proxy: summed}");
  torch::manual_seed(9);
  torch::Tensor w = torch::randn({4, 12}, torch::kFloat64) * 0.5, x = torch::rand({6, 12}, torch::kFloat64);
  h->forward(x, w.clone().requires_grad_(true), kLinear, hw::Mode::Exact);
  const double fs = percentile(linear_partial_sums(codes(x, 0.01, 0, 255), codes(w, 0.01, -127, 127), 5), 90);
  EXPECT_DOUBLE_EQ(buffer(*h, "full_scale").item<double>(), fs);
  EXPECT_DOUBLE_EQ(buffer(*h, "proxy_clamp").item<double>(), 3.0 * fs);  // ceil(12 / 5) = 3 arrays
}

TEST(Analog, SummedProxyValueAndGradient) {
  const MacOp conv{MacOp::Kind::Conv2d, 1, 1};
  torch::manual_seed(12);
  torch::Tensor x0 = torch::rand({2, 3, 5, 5}, torch::kFloat64), w0 = torch::randn({4, 3, 3, 3}, torch::kFloat64) * 0.3;
  const double sa = 1.0 / 128, sw = 1.0 / 128, T = 3000;
  auto h = test::make_hw(fmt::format("{{type: analog, input: {{scale: {}}}, weight: {{scale: {}}}, proxy: summed, proxy_clamp: {}}}", sa, sw, T));
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor y = h->proxy(x, w, conv);
  torch::Tensor up = torch::randn(y.sizes(), torch::kFloat64);
  auto g = torch::autograd::grad({(y * up).sum()}, {x, w});
  // Direct formula on the quantised operands (straight-through quantisation).
  torch::Tensor xq = (torch::clamp(torch::round(x0 / sa), 0, 255) * sa).requires_grad_(true);
  torch::Tensor wq = (torch::clamp(torch::round(w0 / sw), -127, 127) * sw).requires_grad_(true);
  torch::Tensor wp = wq * (wq >= 0), wn = -wq * (wq < 0);
  torch::Tensor yr = torch::clamp_max(conv.apply(xq, wp), T * sa * sw) - torch::clamp_max(conv.apply(xq, wn), T * sa * sw);
  auto gr = torch::autograd::grad({(yr * up).sum()}, {xq, wq});
  EXPECT_TRUE(torch::allclose(y, yr, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(g[0], gr[0], 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(g[1], gr[1], 1e-12, 1e-12));
  EXPECT_GT((conv.apply(xq, wp) > T * sa * sw).sum().item<std::int64_t>(), 0) << "clamp never active";
}

// The per-array proxy: Σ_c [min(P+_c, C) − min(P-_c, C)] over single input channels (array = k·k),
// written with one convolution per channel; and for a linear layer with arrays of 4.
TEST(Analog, PerArrayProxyValueAndGradient) {
  const double sa = 1.0 / 128, sw = 1.0 / 128, C = 600;
  auto h = test::make_hw(fmt::format(
      "{{type: analog, input: {{scale: {}}}, weight: {{scale: {}}}, proxy: per_array, proxy_clamp: {}, "
      "linear_array_size: 4}}", sa, sw, C));
  for (const MacOp& op : {MacOp{MacOp::Kind::Conv2d, 1, 1}, kLinear}) {
    const bool conv = op.kind == MacOp::Kind::Conv2d;
    torch::manual_seed(13);
    torch::Tensor x0 = conv ? torch::rand({2, 3, 5, 5}, torch::kFloat64) : torch::rand({3, 10}, torch::kFloat64);
    torch::Tensor w0 = (conv ? torch::randn({4, 3, 3, 3}, torch::kFloat64) : torch::randn({5, 10}, torch::kFloat64)) * 0.3;
    torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::Tensor y = h->proxy(x, w, op);
    torch::Tensor up = torch::randn(y.sizes(), torch::kFloat64);
    auto g = torch::autograd::grad({(y * up).sum()}, {x, w});
    torch::Tensor xq = (torch::clamp(torch::round(x0 / sa), 0, 255) * sa).requires_grad_(true);
    torch::Tensor wq = (torch::clamp(torch::round(w0 / sw), -127, 127) * sw).requires_grad_(true);
    torch::Tensor wp = wq * (wq >= 0), wn = -wq * (wq < 0);
    const double c = C * sa * sw;
    torch::Tensor yr = torch::zeros_like(y);
    std::int64_t saturated = 0;
    const std::int64_t parts = conv ? 3 : 3, step = conv ? 1 : 4;
    for (std::int64_t p = 0; p < parts; ++p) {
      std::int64_t n = std::min(step, x0.size(1) - p * step);
      torch::Tensor xs = xq.narrow(1, p * step, n);
      torch::Tensor pp = op.apply(xs, wp.narrow(1, p * step, n)), pn = op.apply(xs, wn.narrow(1, p * step, n));
      saturated += (pp > c).sum().item<std::int64_t>() + (pn > c).sum().item<std::int64_t>();
      yr = yr + torch::clamp_max(pp, c) - torch::clamp_max(pn, c);
    }
    auto gr = torch::autograd::grad({(yr * up).sum()}, {xq, wq});
    EXPECT_TRUE(torch::allclose(y, yr, 1e-12, 1e-12));
    EXPECT_TRUE(torch::allclose(g[0], gr[0], 1e-12, 1e-12));
    EXPECT_TRUE(torch::allclose(g[1], gr[1], 1e-12, 1e-12));
    EXPECT_GT(saturated, 0) << "clamp never active";
  }
}

// proxy: auto (the default; PAPERS.md §7.5, G-21): the per-array mask with C = FS in exact-mode
// steps, the summed form with the calibrated expected saturated sum T in injection steps — both
// against the written-out forms on the quantised operands, FS and T computed here.
TEST(Analog, AutoProxyIsPerArrayInExactStepsAndExpectedSummedInInjectionSteps) {
  auto h = test::make_hw("{type: analog, input: {scale: 0.01}, weight: {scale: 0.01}, adc_bits: 4, percentile: 90, "
                         "linear_array_size: 5}");
  torch::manual_seed(21);
  torch::Tensor w0 = torch::randn({4, 12}, torch::kFloat64) * 0.5, x0 = torch::rand({6, 12}, torch::kFloat64);
  torch::Tensor p = linear_partial_sums(codes(x0, 0.01, 0, 255), codes(w0, 0.01, -127, 127), 5);
  const double fs = percentile(p, 90), T = 3.0 * torch::clamp_max(p, fs).mean().item<double>();  // 3 arrays
  const double s2 = 0.01 * 0.01;
  torch::Tensor up = torch::randn({6, 4}, torch::kFloat64);
  auto reference = [&](bool per_array) {
    torch::Tensor xq = (torch::clamp(torch::round(x0 / 0.01), 0, 255) * 0.01).requires_grad_(true);
    torch::Tensor wq = (torch::clamp(torch::round(w0 / 0.01), -127, 127) * 0.01).requires_grad_(true);
    torch::Tensor wp = wq * (wq >= 0), wn = -wq * (wq < 0);
    torch::Tensor y;
    if (per_array) {
      y = torch::zeros({6, 4}, torch::kFloat64);
      for (std::int64_t s = 0; s < 12; s += 5) {
        const std::int64_t n = std::min<std::int64_t>(5, 12 - s);
        torch::Tensor xs = xq.narrow(1, s, n);
        y = y + torch::clamp_max(xs.matmul(wp.narrow(1, s, n).t()), fs * s2) -
            torch::clamp_max(xs.matmul(wn.narrow(1, s, n).t()), fs * s2);
      }
    } else {
      y = torch::clamp_max(xq.matmul(wp.t()), T * s2) - torch::clamp_max(xq.matmul(wn.t()), T * s2);
    }
    auto g = torch::autograd::grad({(y * up).sum()}, {xq, wq});
    return std::make_tuple(y.detach(), g[0], g[1]);
  };
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor ye = h->forward(x, w, kLinear, hw::Mode::Exact);  // calibrates FS and T
  ASSERT_DOUBLE_EQ(buffer(*h, "full_scale").item<double>(), fs);
  EXPECT_NEAR(buffer(*h, "proxy_clamp").item<double>(), T, 1e-9 * T);
  auto ge = torch::autograd::grad({(ye * up).sum()}, {x, w});
  auto [ya, gxa, gwa] = reference(true);
  EXPECT_TRUE(torch::allclose(ge[0], gxa, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(ge[1], gwa, 1e-12, 1e-12));
  // An injection step without an error model returns the proxy itself.
  torch::Tensor yi = h->forward(x, w, kLinear, hw::Mode::Inject);
  auto gi = torch::autograd::grad({(yi * up).sum()}, {x, w});
  auto [ys, gxs, gws] = reference(false);
  EXPECT_TRUE(torch::allclose(yi, ys, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(gi[0], gxs, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(gi[1], gws, 1e-12, 1e-12));
  // Both clamps bind somewhere, so the two steps' gradients differ.
  EXPECT_GT((p > fs).sum().item<std::int64_t>(), 0);
  EXPECT_FALSE(torch::allclose(ge[1], gi[1], 1e-6, 1e-9));
}

// full_scale: calibrate with `sigmas: k` — FS = mean + k·σ of all P⁺ ∪ P⁻ (population σ), computed
// here from independently formed partial sums; it cannot be combined with `percentile`.
TEST(Analog, MeanPlusSigmasFullScale) {
  auto h = test::make_hw("{type: analog, input: {scale: 0.01}, weight: {scale: 0.01}, adc_bits: 4, sigmas: 1.5, "
                         "linear_array_size: 5}");
  torch::manual_seed(31);
  torch::Tensor w = torch::randn({4, 12}, torch::kFloat64) * 0.5, x = torch::rand({6, 12}, torch::kFloat64);
  h->forward(x, w, kLinear, hw::Mode::Exact);
  torch::Tensor p = linear_partial_sums(codes(x, 0.01, 0, 255), codes(w, 0.01, -127, 127), 5);
  const double fs = p.mean().item<double>() + 1.5 * p.std(/*unbiased=*/false).item<double>();
  EXPECT_NEAR(buffer(*h, "full_scale").item<double>(), fs, 1e-9 * fs);
  EXPECT_THROW(test::make_hw("{type: analog, sigmas: 2, percentile: 99}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, full_scale: max, sigmas: 2}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, sigmas: -1}"), ConfigError);
}

// The per-array proxy's hand-written backward with negative inputs (routed to the opposite lines),
// groups, stride and arrays of 4 that cross channel boundaries, and batch slices: value and
// gradients against the written-out form P⁺ = Σ x⁺W⁺ + x⁻W⁻, P⁻ = Σ x⁺W⁻ + x⁻W⁺ per array.
TEST(Analog, PerArrayProxyGradientWithNegativeInputsAndGroups) {
  const MacOp op{MacOp::Kind::Conv2d, 2, 1, 1, 2};  // stride 2, padding 1, groups 2
  torch::manual_seed(17);
  torch::Tensor x0 = torch::rand({3, 4, 6, 6}, torch::kFloat64) - 0.3;
  torch::Tensor w0 = torch::randn({6, 2, 3, 3}, torch::kFloat64) * 0.5;
  const double C = 0.35;
  const std::int64_t A = 4;
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor y = hw::analog::per_array_proxy(x, w, C, op, A);
  torch::Tensor up = torch::randn(y.sizes(), torch::kFloat64);
  auto g = torch::autograd::grad({(y * up).sum()}, {x, w});
  // Reference: unfold per group, arrays of A consecutive (c, kh, kw) elements, zero padding.
  torch::Tensor xr = x0.clone().requires_grad_(true), wr = w0.clone().requires_grad_(true);
  torch::Tensor xp = xr * (xr >= 0), xn = -xr * (xr < 0), wp = wr * (wr >= 0), wn = -wr * (wr < 0);
  auto cols = [&](const torch::Tensor& t) { return torch::im2col(t, {3, 3}, {1, 1}, {1, 1}, {2, 2}); };  // [N, 36, L]
  torch::Tensor cp = cols(xp), cn = cols(xn);
  std::vector<torch::Tensor> outs;
  for (std::int64_t gi = 0; gi < 2; ++gi) {
    torch::Tensor yg;
    for (std::int64_t s = 0; s < 18; s += A) {
      const std::int64_t n = std::min<std::int64_t>(A, 18 - s);
      torch::Tensor a = cp.narrow(1, gi * 18 + s, n), b = cn.narrow(1, gi * 18 + s, n);  // [N, n, L]
      torch::Tensor Wp = wp.narrow(0, gi * 3, 3).reshape({3, 18}).narrow(1, s, n);
      torch::Tensor Wn = wn.narrow(0, gi * 3, 3).reshape({3, 18}).narrow(1, s, n);
      torch::Tensor P = torch::matmul(Wp, a) + torch::matmul(Wn, b), M = torch::matmul(Wn, a) + torch::matmul(Wp, b);
      torch::Tensor part = torch::clamp_max(P, C) - torch::clamp_max(M, C);
      yg = yg.defined() ? yg + part : part;
    }
    outs.push_back(yg);
  }
  torch::Tensor yr = torch::cat(outs, 1).reshape(y.sizes());
  auto gr = torch::autograd::grad({(yr * up).sum()}, {xr, wr});
  EXPECT_TRUE(torch::allclose(y, yr, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(g[0], gr[0], 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(g[1], gr[1], 1e-12, 1e-12));
  EXPECT_GT((yr.abs() > 0).sum().item<std::int64_t>(), 0);
  EXPECT_LT(torch::clamp_max(torch::matmul(wp.reshape({6, 18}).narrow(0, 0, 3).narrow(1, 0, 4), cp.narrow(1, 0, 4)), C).sum().item<double>(),
            torch::matmul(wp.reshape({6, 18}).narrow(0, 0, 3).narrow(1, 0, 4), cp.narrow(1, 0, 4)).sum().item<double>())
      << "clamp never active";
}

TEST(Analog, RejectsSignedInputsAndBadFullScale) {
  EXPECT_THROW(test::make_hw("{type: analog, input: {signed: true}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, weight: {signed: false}}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, full_scale: calibrated}"), ConfigError);
  EXPECT_THROW(test::make_hw("{type: analog, proxy_clamp: -3}"), ConfigError);
}

}  // namespace
}  // namespace ax
