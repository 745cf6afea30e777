// Random-number throughput on one thread (issue 15 part 6), printed as ns per number:
//  - philox normal: rng::fill_standard_normal (core/random.cpp, vectorised Philox4x32-10 + Box–Muller)
//  - philox words:  rng::fill_u32
//  - hash normal:   the generator it replaced (lowbias32 hash + Box–Muller), built from git history
//  - scalar philox: Random123's philox4x32 called per block + std::log/sin Box–Muller, for scale
// Built and run by scripts/bench_rng.sh.
#include <Random123/philox.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "axtrain/core/random.h"

namespace ax::inject {
void fill_standard_normal(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t first);
}

int main() {
  using Clock = std::chrono::steady_clock;
  const std::int64_t n = std::int64_t{1} << 24;
  std::vector<float> z(static_cast<std::size_t>(n), 0.0f);
  std::vector<std::uint32_t> w(static_cast<std::size_t>(n), 0u);
  const ax::rng::Stream s{0x0123456789abcdefull, 7};
  auto ns = [&](auto f) {
    double best = 1e300;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = Clock::now();
      f();
      best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n);
    }
    return best;
  };
  const double philox = ns([&] { ax::rng::fill_standard_normal(z.data(), n, s, 0); });
  const double words = ns([&] { ax::rng::fill_u32(w.data(), n, s, 0); });
  const double hash = ns([&] { ax::inject::fill_standard_normal(z.data(), n, 1234, 0); });
  const double scalar = ns([&] {
    r123::Philox4x32 g;
    for (std::int64_t b = 0; b < n / 4; ++b) {
      r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(b), 0, 7, 0}};
      r123::Philox4x32::key_type k = {{0x89abcdefu, 0x01234567u}};
      const auto r = g(c, k);
      for (int h = 0; h < 2; ++h) {
        const float u1 = (static_cast<float>(r[2 * h] >> 8) + 0.5f) * 0x1p-24f;
        const float u2 = static_cast<float>(r[2 * h + 1] >> 8) * 0x1p-24f;
        const float rad = std::sqrt(-2.0f * std::log(u1)), t = 6.28318530717958647692f * u2;
        z[static_cast<std::size_t>(4 * b + 2 * h)] = rad * std::cos(t);
        z[static_cast<std::size_t>(4 * b + 2 * h + 1)] = rad * std::sin(t);
      }
    }
  });
  std::printf("numbers per call: %lld (best of 5, one thread)\n", static_cast<long long>(n));
  std::printf("philox normal   %6.2f ns\nphilox words    %6.2f ns\nhash normal     %6.2f ns (replaced)\n"
              "scalar philox   %6.2f ns\nphilox / hash   %6.2f x\n",
              philox, words, hash, scalar, philox / hash);
  return 0;
}
