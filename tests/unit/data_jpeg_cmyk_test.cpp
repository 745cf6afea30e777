// Issue 18: a valid CMYK JPEG decodes (it used to be rejected). The file is written with
// TurboJPEG in the Adobe convention (an Adobe marker, inverted ink values: 255 = no ink), as
// Photoshop writes them; the expected colours are those of the inks.
#include <turbojpeg.h>

#include <array>

#include <gtest/gtest.h>

#include "axtrain/data/jpeg.h"

namespace ax {
namespace {

std::string cmyk_jpeg(const std::vector<std::uint8_t>& ink, int w, int h) {
  std::vector<std::uint8_t> stored(ink.size());
  for (std::size_t i = 0; i < ink.size(); ++i) stored[i] = static_cast<std::uint8_t>(255 - ink[i]);
  tjhandle t = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(t, stored.data(), w, 0, h, TJPF_CMYK, &out, &size, TJSAMP_444, 100, 0), 0) << tjGetErrorStr2(t);
  std::string bytes(reinterpret_cast<const char*>(out), size);
  tjFree(out);
  tjDestroy(t);
  return bytes;
}

TEST(DataJpegCmyk, DecodesToTheColoursOfTheInks) {
  // 8×8 blocks: no ink (white), cyan, magenta + yellow (red), full black, 50 % black
  const std::vector<std::array<int, 4>> inks{{0, 0, 0, 0}, {255, 0, 0, 0}, {0, 255, 255, 0}, {0, 0, 0, 255}, {0, 0, 0, 128}};
  const std::vector<std::array<int, 3>> rgb{{255, 255, 255}, {0, 255, 255}, {255, 0, 0}, {0, 0, 0}, {127, 127, 127}};
  const int w = 8 * static_cast<int>(inks.size()), h = 8;
  std::vector<std::uint8_t> ink(static_cast<std::size_t>(w * h * 4));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 4; ++c) ink[static_cast<std::size_t>((y * w + x) * 4 + c)] = static_cast<std::uint8_t>(inks[x / 8][c]);
  data::RgbImage img = data::decode_jpeg(cmyk_jpeg(ink, w, h), "cmyk.jpg");
  ASSERT_EQ(img.w, w);
  ASSERT_EQ(img.h, h);
  for (std::size_t b = 0; b < inks.size(); ++b) {
    const int x = static_cast<int>(b) * 8 + 4, y = 4;
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(img.rgb[static_cast<std::size_t>((y * w + x) * 3 + c)], rgb[b][c], 6) << "block " << b << " channel " << c;
  }
}

}  // namespace
}  // namespace ax
