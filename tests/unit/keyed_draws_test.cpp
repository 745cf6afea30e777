// Randomness passed in (issue 15 part 4): a layer's draws are a function of (run seed, layer, step)
// only — not of other layers' draws, of call history, of the thread count. Checked on the
// hardware with the most draws (sc with bit flips and random phases; ntv storage flips) and on
// the injected noise, against plain re-computation (the property itself is the truth here:
// equal where the keys and steps are equal, different where they are not).
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "axtrain/core/random.h"
#include "axtrain/hw/mac/threads.h"
#include "axtrain/inject/inject_op.h"
#include "test_util.h"

namespace ax {
namespace {

using hw::MacOp;

struct Operands {
  torch::Tensor x = torch::rand({8, 3, 6, 6});
  torch::Tensor w = torch::randn({4, 3, 3, 3}) * 0.3;
  MacOp op{MacOp::Kind::Conv2d};
};

torch::Tensor run(hw::LayerHardware& h, const Operands& o, std::uint64_t step) {
  h.set_step(step);
  return h.exact(o.x, h.read_weight(o.w, hw::Mode::Exact), o.op);
}

TEST(KeyedDraws, ALayersDrawsDependOnlyOnItsKeyAndTheStep) {
  torch::manual_seed(1);
  const Operands o;
  for (const std::string yaml : {"{type: sc, flip_rate: 0.05, phase: {mode: random}}", "{type: ntv, flip_rate: 0.02}"}) {
    auto a = test::make_hw(yaml, "conv1", 101);
    auto b = test::make_hw(yaml, "conv2", 202);
    const torch::Tensor a5 = run(*a, o, 5);
    // Other layers drawing, other steps, torch's generator moved on: step 5 of layer a is unchanged.
    run(*b, o, 5);
    const torch::Tensor a6 = run(*a, o, 6);
    torch::rand({1000});
    EXPECT_TRUE(torch::equal(run(*a, o, 5), a5)) << yaml;
    // A fresh instance with the same key (a resumed run) draws the same.
    auto again = test::make_hw(yaml, "conv1", 101);
    EXPECT_TRUE(torch::equal(run(*again, o, 5), a5)) << yaml;
    // Another step or another layer key: another pattern.
    EXPECT_FALSE(torch::equal(a6, a5)) << yaml;
    EXPECT_FALSE(torch::equal(run(*b, o, 5), a5)) << yaml;
  }
}

TEST(KeyedDraws, InjectedNoiseDoesNotDependOnThreads) {
  torch::manual_seed(2);
  const torch::Tensor u = torch::randn({3, 50000});
  const rng::Stream noise{0xfeed, rng::train_step(9)};
  inject::TableInjectArgs t;
  t.mean = torch::tensor({0.1, -0.2}, torch::kFloat64);
  t.std = torch::tensor({0.5, 1.5}, torch::kFloat64);
  t.slope = torch::zeros({4}, torch::kFloat64);
  t.lo = -1.0;
  t.noise = noise;
  torch::Tensor out[2][2];
  const int before = at::get_num_threads();
  for (int threads : {1, 2}) {
    hw::set_threads(threads);
    out[threads - 1][0] = inject::gaussian_inject(u, 0.0, 1.0, noise);
    out[threads - 1][1] = inject::table_inject(u, t);
  }
  hw::set_threads(before);
  EXPECT_TRUE(torch::equal(out[0][0], out[1][0]));
  EXPECT_TRUE(torch::equal(out[0][1], out[1][1]));
  // Element i's noise is number i of the stream: recomputed here from the generator itself.
  std::vector<float> eps(10);
  rng::fill_standard_normal(eps.data(), 10, noise, 50000);
  for (int i = 0; i < 10; ++i)
    EXPECT_FLOAT_EQ(out[0][0][1][i].item<float>(), u[1][i].item<float>() + eps[static_cast<std::size_t>(i)]) << i;
}

}  // namespace
}  // namespace ax
