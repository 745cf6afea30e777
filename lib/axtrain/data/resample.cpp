#include "axtrain/data/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ax::data {

namespace {
// For each output sample: the first source index and the normalised weights of its taps.
struct Taps {
  std::vector<int> first, count;
  std::vector<float> weight;  // count[o] weights from offset o * stride
  int stride = 0;
};

Taps taps(double in0, double in1, int out, int lo, int hi) {
  const double scale = (in1 - in0) / out;
  const double fscale = std::max(scale, 1.0);
  const double support = fscale;  // the triangle filter has support 1, widened when downscaling
  Taps t;
  t.stride = static_cast<int>(std::ceil(support)) * 2 + 2;
  t.first.resize(out);
  t.count.resize(out);
  t.weight.assign(static_cast<std::size_t>(out) * t.stride, 0.0f);
  for (int o = 0; o < out; ++o) {
    const double center = in0 + (o + 0.5) * scale;
    int a = std::max(static_cast<int>(std::floor(center - support + 0.5)), lo);
    int b = std::min(static_cast<int>(std::floor(center + support + 0.5)), hi);
    if (b <= a) {  // the box lies outside the clip: nearest allowed pixel
      a = std::clamp(static_cast<int>(std::floor(center)), lo, hi - 1);
      b = a + 1;
    }
    b = std::min(b, a + t.stride);
    double sum = 0;
    std::vector<double> w(static_cast<std::size_t>(b - a));
    for (int k = a; k < b; ++k) {
      double d = std::fabs((k + 0.5 - center) / fscale);
      w[k - a] = d < 1.0 ? 1.0 - d : 0.0;
      sum += w[k - a];
    }
    if (sum <= 0) {  // only possible at a zero-weight edge: fall back to the nearest tap
      std::fill(w.begin(), w.end(), 0.0);
      w[std::clamp(static_cast<int>(std::floor(center)) - a, 0, b - a - 1)] = 1.0;
      sum = 1.0;
    }
    t.first[o] = a;
    t.count[o] = b - a;
    for (int k = 0; k < b - a; ++k) t.weight[static_cast<std::size_t>(o) * t.stride + k] = static_cast<float>(w[k] / sum);
  }
  return t;
}
}  // namespace

void resample_rgb(const RgbImage& src, const Box& box, const Clip& clip, int out_h, int out_w,
                  bool flip, std::uint8_t* dst) {
  const Taps tx = taps(box.x0, box.x1, out_w, clip.x_lo, clip.x_hi);
  const Taps ty = taps(box.y0, box.y1, out_h, clip.y_lo, clip.y_hi);
  const int row0 = ty.first.front();
  const int rows = ty.first.back() + ty.count.back() - row0;
  // Horizontal pass over the rows the vertical pass needs: tmp[r][x][c].
  std::vector<float> tmp(static_cast<std::size_t>(rows) * out_w * 3);
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* line = src.rgb.data() + static_cast<std::size_t>(row0 + r) * src.w * 3;
    float* out = tmp.data() + static_cast<std::size_t>(r) * out_w * 3;
    for (int x = 0; x < out_w; ++x) {
      const float* w = tx.weight.data() + static_cast<std::size_t>(x) * tx.stride;
      const std::uint8_t* p = line + static_cast<std::size_t>(tx.first[x]) * 3;
      float s0 = 0, s1 = 0, s2 = 0;
      for (int k = 0; k < tx.count[x]; ++k, p += 3) {
        s0 += w[k] * p[0];
        s1 += w[k] * p[1];
        s2 += w[k] * p[2];
      }
      out[x * 3] = s0;
      out[x * 3 + 1] = s1;
      out[x * 3 + 2] = s2;
    }
  }
  // Vertical pass, channel-major output.
  const std::size_t plane = static_cast<std::size_t>(out_h) * out_w;
  std::vector<float> acc(static_cast<std::size_t>(out_w) * 3);
  for (int y = 0; y < out_h; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = ty.weight.data() + static_cast<std::size_t>(y) * ty.stride;
    for (int k = 0; k < ty.count[y]; ++k) {
      const float* row = tmp.data() + static_cast<std::size_t>(ty.first[y] - row0 + k) * out_w * 3;
      for (int i = 0; i < out_w * 3; ++i) acc[i] += w[k] * row[i];
    }
    for (int x = 0; x < out_w; ++x) {
      const int ox = flip ? out_w - 1 - x : x;
      for (int c = 0; c < 3; ++c) {
        float v = std::nearbyint(acc[x * 3 + c]);
        dst[c * plane + static_cast<std::size_t>(y) * out_w + ox] =
            static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));
      }
    }
  }
}

}  // namespace ax::data
