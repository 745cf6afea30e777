// Exact-mode gradients other than the proxy (AxTrain-pas, PAPERS.md §7.11 step 4), against the
// float op's closed-form gradients: the clipped straight-through estimator of Eq. 12 (output
// gradient elements with |g| ≥ 1 zeroed) and the input-gated STE (G-45); the forward value stays
// the accurate model's. The phase key `gradient` is accepted on exact phases only.
#include <fstream>

#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/run/run_config.h"
#include "test_util.h"

namespace ax {
namespace {

struct Grads {
  torch::Tensor y, gx, gw;
};

Grads run(hw::ExactGradient kind, const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& g) {
  auto hw = test::make_hw("{type: fixed_point, input: {bits: 4}, weight: {bits: 4}}");
  hw->set_exact_gradient(kind);
  hw::MacOp op{hw::MacOp::Kind::Linear};
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor y = hw->forward(x, w, op, hw::Mode::Exact);
  (y * g).sum().backward();
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::allclose(y, hw->exact(x0, w0, op), 1e-6, 1e-6)) << "forward = accurate model";
  return {y.detach(), x.grad(), w.grad()};
}

TEST(ExactGradient, ClippedSteIsTheFloatGradientOfTheClippedOutputGradient) {
  torch::manual_seed(21);
  torch::Tensor x = torch::rand({32, 6}) * 3 - 1.5, w = torch::randn({5, 6});
  torch::Tensor g = torch::randn({32, 5}) * 1.5;  // about half the elements have |g| ≥ 1
  torch::Tensor gm = g * (g.abs() < 1).to(torch::kFloat32);
  ASSERT_GT((g.abs() >= 1).sum().item<std::int64_t>(), 10);
  Grads r = run(hw::ExactGradient::SteClip, x, w, g);
  EXPECT_TRUE(torch::allclose(r.gx, gm.mm(w), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(r.gw, gm.t().mm(x), 1e-5, 1e-6));
}

TEST(ExactGradient, InputGatedSteZeroesTheGradientOfInputsBeyondOne) {
  torch::manual_seed(22);
  torch::Tensor x = torch::rand({32, 6}) * 3 - 1.5, w = torch::randn({5, 6}), g = torch::randn({32, 5});
  ASSERT_GT((x.abs() > 1).sum().item<std::int64_t>(), 10);
  Grads r = run(hw::ExactGradient::SteInput, x, w, g);
  EXPECT_TRUE(torch::allclose(r.gx, g.mm(w) * (x.abs() <= 1).to(torch::kFloat32), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(r.gw, g.t().mm(x), 1e-5, 1e-6));
  // The proxy gradient differs from both (fixed_point's proxy is the quantised op's STE).
  Grads p = run(hw::ExactGradient::Proxy, x, w, g);
  EXPECT_FALSE(torch::allclose(p.gx, r.gx, 1e-5, 1e-6));
}

std::string write(const std::string& text) {
  std::string path = test::temp_dir("exact_gradient") + "/cfg.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(ExactGradient, PhaseKeyParsesOnExactPhasesOnlyAndRoundTrips) {
  const std::string base = R"(name: t
data: {type: synthetic, shape: [1, 8, 8], classes: 3, batch_size: 16}
model: {type: mlp, hidden: [8]}
hardware: {type: fixed_point}
phases:
)";
  run::RunConfig c = run::load_run_config(write(base + "  - {epochs: 1, mode: exact, gradient: ste_clip}\n"));
  EXPECT_EQ(c.phases[0].gradient, hw::ExactGradient::SteClip);
  run::RunConfig d = run::load_run_config(write(config::to_yaml_string(c.to_yaml())));
  EXPECT_EQ(d.phases[0].gradient, hw::ExactGradient::SteClip);
  EXPECT_EQ(d.run_id(), c.run_id());
  run::RunConfig plain = run::load_run_config(write(base + "  - {epochs: 1, mode: exact}\n"));
  EXPECT_NE(plain.run_id(), c.run_id());
  try {
    run::load_run_config(write(base + "  - {epochs: 1, mode: inject, gradient: ste_clip}\n"));
    FAIL() << "gradient on an inject phase must be an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mode: exact only"), std::string::npos) << e.what();
  }
  try {
    run::load_run_config(write(base + "  - {epochs: 1, mode: exact, gradient: ste}\n"));
    FAIL() << "unknown choice";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ste_clip"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ax
