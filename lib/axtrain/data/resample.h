// Antialiased bilinear resampling of a region of an RGB image (the triangle filter of PIL's
// Image.resize(BILINEAR, box=...)): when downscaling by s > 1 the filter is widened to s source
// pixels, so no pixels are skipped; when upscaling it is plain bilinear interpolation between
// pixel centres.
#pragma once
#include <cstdint>

#include "axtrain/data/jpeg.h"

namespace ax::data {

// A region in continuous source coordinates: pixel i covers [i, i + 1).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
// Source pixels a filter may read: columns [x_lo, x_hi), rows [y_lo, y_hi). Taps outside are
// dropped and the remaining weights renormalised (as if the image were cropped to this rectangle).
struct Clip {
  int x_lo = 0, y_lo = 0, x_hi = 0, y_hi = 0;
};

// Resamples `box` of `src` to out_h x out_w and writes it channel-major (uint8 [3, out_h, out_w])
// to dst, mirrored left-right when `flip`. Values are rounded to the nearest integer.
void resample_rgb(const RgbImage& src, const Box& box, const Clip& clip, int out_h, int out_w,
                  bool flip, std::uint8_t* dst);

}  // namespace ax::data
