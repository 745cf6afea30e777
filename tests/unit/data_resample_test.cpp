// Antialiased bilinear resampling against closed forms, and the thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <stdexcept>

#include "axtrain/core/thread_pool.h"
#include "axtrain/data/resample.h"

namespace ax {
namespace {

// Source pixel (x, y) of channel c: a * x + b * y + c0 (a ramp; exactly representable in uint8).
data::RgbImage ramp(int w, int h, double a, double b, double c0) {
  data::RgbImage img{h, w, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.rgb[(static_cast<std::size_t>(y) * w + x) * 3 + c] = static_cast<std::uint8_t>(a * x + b * y + c0 + 10 * c);
  return img;
}

// A symmetric, normalised filter reproduces a linear function exactly wherever it does not reach
// the border: output pixel (ox, oy) of a box resample sees the ramp at its centre
// (x0 + (ox + 0.5) * sx - 0.5, ...) in pixel-index coordinates.
void check_ramp(int w, int h, data::Box box, int ow, int oh, double a, double b) {
  data::RgbImage img = ramp(w, h, a, b, 20);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(ow) * oh * 3);
  data::resample_rgb(img, box, {0, 0, w, h}, oh, ow, false, out.data());
  const double sx = (box.x1 - box.x0) / ow, sy = (box.y1 - box.y0) / oh;
  const double rx = std::max(sx, 1.0) + 1, ry = std::max(sy, 1.0) + 1;  // filter reach
  int checked = 0;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox) {
      double cx = box.x0 + (ox + 0.5) * sx, cy = box.y0 + (oy + 0.5) * sy;
      if (cx - rx < 0 || cx + rx > w || cy - ry < 0 || cy + ry > h) continue;
      for (int c = 0; c < 3; ++c) {
        double expect = a * (cx - 0.5) + b * (cy - 0.5) + 20 + 10 * c;
        double got = out[static_cast<std::size_t>(c) * ow * oh + static_cast<std::size_t>(oy) * ow + ox];
        // 0.5 for rounding to uint8, plus the filter's own bias: a triangle sampled at pixel centres
        // is not exactly symmetric about a fractional centre (first moment ≤ 0.05 px for the boxes
        // below, times slopes ≤ 2 in x and 1 in y: ≤ 0.15).
        ASSERT_NEAR(got, expect, 0.65) << "out (" << ox << ", " << oy << ") c" << c;
      }
      ++checked;
    }
  EXPECT_GT(checked, 0);
}

TEST(Resample, LinearRampDownscale) { check_ramp(64, 48, {0, 0, 64, 48}, 16, 12, 2.0, 1.0); }
TEST(Resample, LinearRampUpscale) { check_ramp(10, 8, {0, 0, 10, 8}, 37, 29, 9.0, 11.0); }
TEST(Resample, LinearRampFractionalBox) { check_ramp(60, 50, {7.3, 4.9, 51.1, 40.2}, 20, 13, 2.0, 1.0); }

TEST(Resample, FlipMirrorsAndFlatStaysFlat) {
  data::RgbImage img = ramp(8, 4, 20, 0, 0);
  std::vector<std::uint8_t> a(8 * 4 * 3), b(8 * 4 * 3);
  data::resample_rgb(img, {0, 0, 8, 4}, {0, 0, 8, 4}, 4, 8, false, a.data());
  data::resample_rgb(img, {0, 0, 8, 4}, {0, 0, 8, 4}, 4, 8, true, b.data());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 8; ++x) {
        std::size_t i = c * 32 + y * 8 + x, j = c * 32 + y * 8 + (7 - x);
        EXPECT_EQ(a[i], 20 * x + 10 * c);  // identity size: the source pixel itself
        EXPECT_EQ(b[j], a[i]);
      }
  data::RgbImage flat = ramp(33, 17, 0, 0, 123);
  std::vector<std::uint8_t> f(5 * 7 * 3);
  data::resample_rgb(flat, {3, 2, 30, 16}, {0, 0, 33, 17}, 5, 7, false, f.data());
  for (std::size_t i = 0; i < f.size(); ++i) EXPECT_EQ(f[i], 123 + 10 * (i / 35));
}

TEST(ThreadPool, EachIndexOnceAndExceptionsPropagate) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.parallel_for(1000, [&](std::int64_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(pool.parallel_for(50, [](std::int64_t i) {
    if (i == 17) throw std::runtime_error("boom");
  }), std::runtime_error);
  std::atomic<int> n{0};
  pool.parallel_for(5, [&](std::int64_t) { n++; });  // still usable
  EXPECT_EQ(n.load(), 5);
}

}  // namespace
}  // namespace ax
