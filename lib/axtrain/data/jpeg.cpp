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
}  // namespace

JpegSize jpeg_size(const std::string& bytes, const std::string& file) {
  tjhandle h = decompressor();
  int w = 0, hh = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(h, data_of(bytes), static_cast<unsigned long>(bytes.size()), &w, &hh,
                          &subsamp, &colorspace) != 0)
    fail(h, file, "header");
  if (w <= 0 || hh <= 0) throw DataError(fmt::format("{}: JPEG header gives size {}x{}", file, w, hh));
  return {hh, w};
}

RgbImage decode_jpeg(const std::string& bytes, const std::string& file, double min_scale) {
  JpegSize full = jpeg_size(bytes, file);
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
  img.rgb.resize(static_cast<std::size_t>(img.w) * img.h * 3);
  if (tjDecompress2(h, data_of(bytes), static_cast<unsigned long>(bytes.size()), img.rgb.data(),
                    img.w, /*pitch=*/0, img.h, TJPF_RGB, 0) != 0)
    fail(h, file, "decode");
  return img;
}

}  // namespace ax::data
