#include "axtrain/core/png.h"

#include <algorithm>
#include <stdexcept>

#include <zlib.h>

#include "axtrain/core/files.h"

namespace ax {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put_u32(out, static_cast<std::uint32_t>(
                   crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string encode_png_rgb(std::int64_t width, std::int64_t height, const std::vector<std::uint8_t>& rgb) {
  if (width <= 0 || height <= 0 || rgb.size() != static_cast<std::size_t>(width * height * 3))
    throw std::invalid_argument("encode_png_rgb: pixel buffer does not match width × height × 3");
  std::string raw;  // each scan line: filter type 0, then the pixels
  raw.reserve(static_cast<std::size_t>(height * (width * 3 + 1)));
  for (std::int64_t y = 0; y < height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(rgb.data() + y * width * 3), static_cast<std::size_t>(width * 3));
  }
  uLongf len = compressBound(static_cast<uLong>(raw.size()));
  std::string z(len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 9) != Z_OK)
    throw std::runtime_error("encode_png_rgb: zlib compression failed");
  z.resize(len);
  std::string ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(width));
  put_u32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, adaptive filters, no interlace
  std::string out("\x89PNG\r\n\x1a\n", 8);
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", z);
  put_chunk(out, "IEND", "");
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
