// Our parallel loops really run on the threads that are set (the library is compiled with OpenMP:
// at::parallel_for is an inline omp template), and every MAC kernel gives bit-identical outputs
// on 1 and 2 threads.
#include <set>

#include <boost/filesystem.hpp>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "axtrain/hw/mac/threads.h"
#include "test_util.h"

namespace ax {
namespace {

// Restores the thread count the suite runs with.
struct ThreadsGuard {
  int saved = at::get_num_threads();
  ~ThreadsGuard() { hw::set_threads(saved); }
};

std::set<int> distinct(const std::vector<int>& ids) { return {ids.begin(), ids.end()}; }

TEST(Threads, LibraryLoopsRunOnTheThreadsThatAreSet) {
  ThreadsGuard guard;
  hw::set_threads(2);
  std::vector<int> ids = hw::parallel_thread_ids(8);
  for (int id : ids) EXPECT_GE(id, 0) << "an iteration did not run";
  EXPECT_EQ(distinct(ids), (std::set<int>{0, 1})) << "2 threads set, loop ran on " << distinct(ids).size();
  hw::set_threads(1);
  EXPECT_EQ(distinct(hw::parallel_thread_ids(8)), (std::set<int>{0}));
}

// exact() of a convolution and a linear layer with 1 and then 2 threads: identical tensors.
void expect_thread_independent(const std::string& yaml) {
  ThreadsGuard guard;
  torch::manual_seed(3);
  // ReLU-like inputs (a quarter zeros) and signed weights; big enough that every kernel splits.
  torch::Tensor x = torch::relu(torch::randn({6, 8, 12, 12}) + 0.3);
  torch::Tensor w = torch::randn({16, 8, 3, 3}) * 0.2;
  torch::Tensor xl = torch::relu(torch::randn({40, 72})), wl = torch::randn({24, 72}) * 0.2;
  hw::MacOp conv;
  conv.kind = hw::MacOp::Kind::Conv2d;
  conv.padding = 1;
  hw::MacOp lin;
  torch::Tensor out[2][2];
  for (int t : {1, 2}) {
    hw::set_threads(t);
    torch::manual_seed(11);  // models that draw noise (ntv flips) draw the same on both runs
    auto h = test::make_hw(yaml);
    out[t - 1][0] = h->exact(x, h->read_weight(w, hw::Mode::Exact), conv);
    torch::manual_seed(12);
    auto h2 = test::make_hw(yaml);
    out[t - 1][1] = h2->exact(xl, h2->read_weight(wl, hw::Mode::Exact), lin);
  }
  EXPECT_TRUE(torch::equal(out[0][0], out[1][0])) << yaml << ": conv output depends on the thread count";
  EXPECT_TRUE(torch::equal(out[0][1], out[1][1])) << yaml << ": linear output depends on the thread count";
  EXPECT_GT(out[0][0].abs().sum().item<double>(), 0.0) << yaml << ": degenerate (all-zero) output";
}

TEST(Threads, ScOutputsDoNotDependOnThreads) { expect_thread_independent("{type: sc}"); }
TEST(Threads, ScCounterOutputsDoNotDependOnThreads) {
  expect_thread_independent("{type: sc, accumulate: count, stream_length: 64}");
}
TEST(Threads, DrumOutputsDoNotDependOnThreads) {
  expect_thread_independent(
      "{type: approx_mul, multiplier: {type: drum, bits: 16, k: 4}, input: {bits: 16, scale: pow2}, "
      "weight: {bits: 16, scale: pow2}}");
}
TEST(Threads, AnalogOutputsDoNotDependOnThreads) { expect_thread_independent("{type: analog, adc_bits: 4}"); }
TEST(Threads, TableOutputsDoNotDependOnThreads) {
  const std::string table = test::shared_dir() + "/data/multipliers/mul7u_09Y.txt";
  if (!boost::filesystem::exists(table)) GTEST_SKIP() << "needs ../shared/data/multipliers (absent)";
  expect_thread_independent("{type: approx_mul, multiplier: {type: table, path: " + table + "}}");
}
TEST(Threads, NtvOutputsDoNotDependOnThreads) { expect_thread_independent("{type: ntv, flip_rate: 0.01}"); }

}  // namespace
}  // namespace ax
