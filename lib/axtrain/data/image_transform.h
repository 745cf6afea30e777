// From a JPEG file to a fixed-size uint8 [3, size, size] image: the evaluation transform
// (resize the short side, centre crop) and the training transform RandomResizedCrop (the
// parameters of torchvision's transforms.RandomResizedCrop), both with antialiased bilinear
// resampling (resample.h) and, when allowed, libjpeg DCT-scaled decoding.
#pragma once
#include <cstdint>
#include <random>
#include <string>

namespace ax::data {

struct ImageTransform {
  int size = 224;           // output height = width, pixels
  int resize = 256;         // evaluation: the short side is resized to this, then centre crop; >= size
  bool dct_scaling = true;  // decode at 1/8..7/8 scale when that still leaves >= the pixels needed
};

// A crop rectangle in source pixels.
struct CropBox {
  int y = 0, x = 0, h = 0, w = 0;
};

// torchvision RandomResizedCrop.get_params: up to 10 draws of area fraction U(0.08, 1) and
// log-uniform aspect ratio in [3/4, 4/3]; the first that fits is placed uniformly; otherwise the
// centre crop of the whole image clamped to that ratio range.
CropBox random_resized_crop_box(int h, int w, std::mt19937_64& rng);

// Reads `file` and writes its evaluation-transformed pixels to dst (channel-major RGB).
void load_eval_image(const std::string& file, const ImageTransform& t, std::uint8_t* dst);
// Reads `file`, takes a random resized crop drawn from rng, resizes it to size x size and, if
// `flip`, mirrors it with probability 1/2 (a draw from rng after the crop's).
void load_random_resized_crop(const std::string& file, const ImageTransform& t, bool flip,
                              std::mt19937_64& rng, std::uint8_t* dst);

}  // namespace ax::data
