// Helpers of the data tests: a DataSpec from YAML text, small files written by the test.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <turbojpeg.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/config/section.h"
#include "axtrain/data/spec.h"

namespace ax::test {

// Parses a `data:` mapping written as YAML text.
inline data::DataSpec data_spec(const std::string& yaml) {
  YAML::Node n = YAML::Load(yaml);
  config::Section s({{n, "<test>"}}, "data");
  data::DataSpec d = data::DataSpec::parse(s);
  s.finish();
  return d;
}

// A 32-bit big-endian integer, as IDX headers store them.
inline std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
// An IDX image file of n images of h × w: byte i of the pixel data is i mod 251.
inline std::string idx_images(std::uint32_t n, std::uint32_t h, std::uint32_t w) {
  std::string s = be32(0x803) + be32(n) + be32(h) + be32(w);
  for (std::uint32_t i = 0; i < n * h * w; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}
// An IDX label file of n labels, label i = i mod `mod`.
inline std::string idx_labels(std::uint32_t n, std::uint8_t mod) {
  std::string s = be32(0x801) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % mod));
  return s;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Encodes pixels (rows of w * channels bytes; channels 3 = RGB, 1 = gray) with tjCompress2
// (4:4:4 chroma) and writes the JPEG to path.
inline void write_jpeg(const std::string& path, const std::vector<unsigned char>& pixels, int w,
                       int h, int channels, int quality = 95) {
  tjhandle c = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(c, pixels.data(), w, 0, h, channels == 1 ? TJPF_GRAY : TJPF_RGB, &buf, &size,
                       channels == 1 ? TJSAMP_GRAY : TJSAMP_444, quality, 0);
  tjDestroy(c);
  if (rc != 0) throw std::runtime_error("tjCompress2 failed");
  write_text(path, std::string(reinterpret_cast<const char*>(buf), size));
  tjFree(buf);
}

// A w x h image of one RGB colour.
inline std::vector<unsigned char> flat_rgb(int w, int h, unsigned char r, unsigned char g, unsigned char b) {
  std::vector<unsigned char> p(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < p.size(); i += 3) {
    p[i] = r;
    p[i + 1] = g;
    p[i + 2] = b;
  }
  return p;
}

}  // namespace ax::test
