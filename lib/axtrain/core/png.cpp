#include "axtrain/core/png.h"

#include <algorithm>
#include <stdexcept>

#include <png.h>

#include "axtrain/core/files.h"

namespace ax {

// libpng's simplified write API (libpng ≥ 1.6.29): 8-bit RGB, its default adaptive filters and
// compression.
std::string encode_png_rgb(std::int64_t width, std::int64_t height, const std::vector<std::uint8_t>& rgb) {
  if (width <= 0 || height <= 0 || width > 0x7fffffff || height > 0x7fffffff ||
      rgb.size() != static_cast<std::size_t>(width * height * 3))
    throw std::invalid_argument("encode_png_rgb: pixel buffer does not match width × height × 3");
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png_rgb: libpng: ") + image.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgb.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png_rgb: libpng: ") + image.message);
  out.resize(size);
  png_image_free(&image);
  return out;
}

void write_heatmap_png(const std::string& path, std::int64_t rows, std::int64_t cols, const std::vector<double>& values,
                       std::int64_t scale, double max) {
  if (values.size() != static_cast<std::size_t>(rows * cols))
    throw std::invalid_argument("write_heatmap_png: values do not match rows × cols");
  if (max <= 0) max = values.empty() ? 1.0 : *std::max_element(values.begin(), values.end());
  if (max <= 0) max = 1.0;
  const std::int64_t w = cols * scale, h = rows * scale;
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w * h * 3));
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x) {
      const double t = std::clamp(values[static_cast<std::size_t>((y / scale) * cols + x / scale)] / max, 0.0, 1.0);
      // "hot": red rises over [0, 1/3], green over [1/3, 2/3], blue over [2/3, 1]
      auto ramp = [t](double lo) { return static_cast<std::uint8_t>(std::clamp((t - lo) * 3.0, 0.0, 1.0) * 255.0 + 0.5); };
      std::uint8_t* p = rgb.data() + (y * w + x) * 3;
      p[0] = ramp(0.0);
      p[1] = ramp(1.0 / 3.0);
      p[2] = ramp(2.0 / 3.0);
    }
  write_file_atomic(path, encode_png_rgb(w, h, rgb));
}

}  // namespace ax
