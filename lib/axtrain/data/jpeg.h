// JPEG decoding with libjpeg-turbo's TurboJPEG API, to 8-bit RGB (grayscale expands to 3
// channels), optionally at a reduced size through libjpeg's DCT scaling.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ax::data {

// An 8-bit RGB image, row-major, channels interleaved: rgb[(y * w + x) * 3 + c].
struct RgbImage {
  int h = 0, w = 0;
  std::vector<std::uint8_t> rgb;
};

struct JpegSize {
  int h = 0, w = 0;
};

// Width and height from the JPEG header. DataError naming `file` if it is not a readable JPEG.
JpegSize jpeg_size(const std::string& bytes, const std::string& file);

// Decodes `bytes` (the content of `file`, named in errors). min_scale in (0, 1]: the image may be
// decoded at the smallest DCT scaling factor (1/8, 1/4, 3/8, ... 7/8, 1) that is >= min_scale,
// which is several times faster for large images; 1 = full size. Any libjpeg error or warning
// (corrupt or truncated data) is a DataError naming the file. CMYK and YCCK JPEGs are converted to
// RGB by the plain formula R = 255·(1−C)(1−K) (inverted ink values when an Adobe marker says so).
RgbImage decode_jpeg(const std::string& bytes, const std::string& file, double min_scale = 1.0);

}  // namespace ax::data
