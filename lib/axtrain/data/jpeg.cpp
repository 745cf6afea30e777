#include "axtrain/data/jpeg.h"

#include <turbojpeg.h>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::data {

namespace {
// One decompressor per thread (TurboJPEG handles are not thread-safe; creating one per image
// costs more than decoding a small image).
struct Handle {
  tjhandle h = tjInitDecompress();
  ~Handle() {
    if (h) tjDestroy(h);
  }
};

tjhandle decompressor() {
  thread_local Handle handle;
  if (!handle.h) throw Error("TurboJPEG: tjInitDecompress failed");
  return handle.h;
}

auto* data_of(const std::string& bytes) { return reinterpret_cast<const unsigned char*>(bytes.data()); }

[[noreturn]] void fail(tjhandle h, const std::string& file, const char* what) {
  throw DataError(fmt::format("{}: not a decodable JPEG ({}: {})", file, what, tjGetErrorStr2(h)));
}

// Whether the file carries an Adobe APP14 marker (0xFFEE "Adobe"): CMYK JPEGs with it (those of
// Photoshop and most other tools) store inverted ink values, 255 = no ink.
bool has_adobe_marker(const std::string& bytes) {
  std::size_t i = 2;  // after SOI
  while (i + 4 <= bytes.size() && static_cast<unsigned char>(bytes[i]) == 0xFF) {
    const auto marker = static_cast<unsigned char>(bytes[i + 1]);
    const std::size_t len = static_cast<std::size_t>(static_cast<unsigned char>(bytes[i + 2])) << 8 |
                            static_cast<unsigned char>(bytes[i + 3]);
    if (marker == 0xEE && i + 9 <= bytes.size() && bytes.compare(i + 4, 5, "Adobe") == 0) return true;
    if (marker == 0xDA || len < 2) break;  // start of scan: no more headers
    i += 2 + len;
  }
  return false;
}

JpegSize header(const std::string& bytes, const std::string& file, int* colorspace) {
  tjhandle h = decompressor();
  int w = 0, hh = 0, subsamp = 0;
  if (tjDecompressHeader3(h, data_of(bytes), static_cast<unsigned long>(bytes.size()), &w, &hh,
                          &subsamp, colorspace) != 0)
    fail(h, file, "header");
  if (w <= 0 || hh <= 0) throw DataError(fmt::format("{}: JPEG header gives size {}x{}", file, w, hh));
  return {hh, w};
}
}  // namespace

JpegSize jpeg_size(const std::string& bytes, const std::string& file) {
  int colorspace = 0;
  return header(bytes, file, &colorspace);
}

RgbImage decode_jpeg(const std::string& bytes, const std::string& file, double min_scale) {
  int colorspace = 0;
  JpegSize full = header(bytes, file, &colorspace);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  tjhandle h = decompressor();
  // The smallest scaling factor <= 1 that is still >= min_scale.
  int nf = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&nf);
  tjscalingfactor best{1, 1};
  for (int i = 0; factors && i < nf; ++i) {
    const auto& f = factors[i];
    double s = static_cast<double>(f.num) / f.denom;
    if (s <= 1.0 && s >= min_scale && s < static_cast<double>(best.num) / best.denom) best = f;
  }
  RgbImage img;
  img.w = TJSCALED(full.w, best);
  img.h = TJSCALED(full.h, best);
  const std::size_t pixels = static_cast<std::size_t>(img.w) * img.h;
  if (!cmyk) {
    img.rgb.resize(pixels * 3);
    if (tjDecompress2(h, data_of(bytes), static_cast<unsigned long>(bytes.size()), img.rgb.data(),
                      img.w, /*pitch=*/0, img.h, TJPF_RGB, 0) != 0)
      fail(h, file, "decode");
    return img;
  }
  // CMYK/YCCK: TurboJPEG gives the stored CMYK values; RGB by the naive formula (no colour
  // management): with ink amounts c, k in [0, 1], R = 255 (1 - c)(1 - k), likewise G, B.
  std::vector<std::uint8_t> px(pixels * 4);
  if (tjDecompress2(h, data_of(bytes), static_cast<unsigned long>(bytes.size()), px.data(), img.w, 0, img.h,
                    TJPF_CMYK, 0) != 0)
    fail(h, file, "decode");
  const bool inverted = has_adobe_marker(bytes);
  img.rgb.resize(pixels * 3);
  for (std::size_t i = 0; i < pixels; ++i) {
    auto blank = [&](int c) { return inverted ? px[i * 4 + c] : 255 - px[i * 4 + c]; };  // 255 = no ink
    const int k = blank(3);
    for (int c = 0; c < 3; ++c) img.rgb[i * 3 + c] = static_cast<std::uint8_t>((blank(c) * k + 127) / 255);
  }
  return img;
}

}  // namespace ax::data
