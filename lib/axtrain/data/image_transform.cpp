#include "axtrain/data/image_transform.h"

#include <algorithm>
#include <cmath>

#include "axtrain/core/files.h"
#include "axtrain/data/jpeg.h"
#include "axtrain/data/resample.h"

namespace ax::data {

CropBox random_resized_crop_box(int h, int w, std::mt19937_64& rng) {
  const double area = static_cast<double>(h) * w;
  const double lo_ratio = 3.0 / 4.0, hi_ratio = 4.0 / 3.0;
  std::uniform_real_distribution<double> scale(0.08, 1.0);
  std::uniform_real_distribution<double> log_ratio(std::log(lo_ratio), std::log(hi_ratio));
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * scale(rng);
    const double ratio = std::exp(log_ratio(rng));
    const int cw = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    const int ch = static_cast<int>(std::lround(std::sqrt(target / ratio)));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      const int y = std::uniform_int_distribution<int>(0, h - ch)(rng);
      const int x = std::uniform_int_distribution<int>(0, w - cw)(rng);
      return {y, x, ch, cw};
    }
  }
  const double in_ratio = static_cast<double>(w) / h;
  int cw = w, ch = h;
  if (in_ratio < lo_ratio) {
    ch = static_cast<int>(std::lround(w / lo_ratio));
  } else if (in_ratio > hi_ratio) {
    cw = static_cast<int>(std::lround(h * hi_ratio));
  }
  cw = std::clamp(cw, 1, w);
  ch = std::clamp(ch, 1, h);
  return {(h - ch) / 2, (w - cw) / 2, ch, cw};
}

namespace {
// Scale factor that maps full-size source coordinates to the decoded image.
struct Decoded {
  RgbImage img;
  double sx = 1, sy = 1;
};

Decoded decode(const std::string& bytes, const std::string& file, int full_h, int full_w,
               double min_scale) {
  Decoded d;
  d.img = decode_jpeg(bytes, file, std::min(1.0, min_scale));
  d.sx = static_cast<double>(d.img.w) / full_w;
  d.sy = static_cast<double>(d.img.h) / full_h;
  return d;
}
}  // namespace

void load_eval_image(const std::string& file, const ImageTransform& t, std::uint8_t* dst) {
  const std::string bytes = read_file(file);
  const JpegSize full = jpeg_size(bytes, file);
  const int short_side = std::min(full.h, full.w);
  // After resizing the short side to t.resize, a centre crop of t.size pixels covers `side`
  // source pixels.
  const double side = static_cast<double>(t.size) * short_side / t.resize;
  const double need = t.dct_scaling ? static_cast<double>(t.resize) / short_side : 1.0;
  Decoded d = decode(bytes, file, full.h, full.w, need);
  const double x0 = (full.w - side) / 2, y0 = (full.h - side) / 2;
  Box box{x0 * d.sx, y0 * d.sy, (x0 + side) * d.sx, (y0 + side) * d.sy};
  resample_rgb(d.img, box, Clip{0, 0, d.img.w, d.img.h}, t.size, t.size, false, dst);
}

void load_random_resized_crop(const std::string& file, const ImageTransform& t, bool flip,
                              std::mt19937_64& rng, std::uint8_t* dst) {
  const std::string bytes = read_file(file);
  const JpegSize full = jpeg_size(bytes, file);
  const CropBox c = random_resized_crop_box(full.h, full.w, rng);
  const bool mirror = flip && std::bernoulli_distribution(0.5)(rng);
  const double need = t.dct_scaling ? static_cast<double>(t.size) / std::min(c.h, c.w) : 1.0;
  Decoded d = decode(bytes, file, full.h, full.w, need);
  Box box{c.x * d.sx, c.y * d.sy, (c.x + c.w) * d.sx, (c.y + c.h) * d.sy};
  // The crop is a separate image in torchvision: the filter reads no pixels outside it.
  Clip clip{static_cast<int>(std::floor(box.x0)), static_cast<int>(std::floor(box.y0)),
            std::min(d.img.w, static_cast<int>(std::ceil(box.x1))),
            std::min(d.img.h, static_cast<int>(std::ceil(box.y1)))};
  resample_rgb(d.img, box, clip, t.size, t.size, mirror, dst);
}

}  // namespace ax::data
