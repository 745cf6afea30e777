// PNG heat maps (8-bit RGB, encoded by Debian's libpng) such as the sensitivity maps of AxTrain
// Fig. 4; line plots go through gnuplot (scripts/).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ax {

// The PNG file bytes of a width × height RGB image (rgb: row-major, 3 bytes per pixel).
std::string encode_png_rgb(std::int64_t width, std::int64_t height, const std::vector<std::uint8_t>& rgb);
// A heat map of a rows × cols matrix (row-major values ≥ 0), each cell scale × scale pixels,
// black (0) → red → yellow → white (the largest value, or `max` when > 0); written atomically.
void write_heatmap_png(const std::string& path, std::int64_t rows, std::int64_t cols, const std::vector<double>& values,
                       std::int64_t scale, double max = 0.0);

}  // namespace ax
