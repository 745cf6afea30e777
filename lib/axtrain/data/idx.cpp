#include "axtrain/data/idx.h"

#include <zlib.h>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace ax::data {

std::string read_maybe_gzip(const std::string& file) {
  std::string raw = read_file(file);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
      static_cast<unsigned char>(raw[1]) != 0x8b)
    return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw DataError(fmt::format("{}: zlib init failed", file));
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  char buf[1 << 16];
  int ret = Z_OK;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    ret = inflate(&zs, Z_NO_FLUSH);
    if (ret != Z_OK && ret != Z_STREAM_END) {
      inflateEnd(&zs);
      throw DataError(fmt::format("{}: corrupt or truncated gzip data ({})", file,
                                  zs.msg ? zs.msg : "inflate failed"));
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (ret != Z_STREAM_END && (zs.avail_in > 0 || zs.avail_out == 0));
  inflateEnd(&zs);
  if (ret != Z_STREAM_END) throw DataError(fmt::format("{}: truncated gzip data", file));
  return out;
}

namespace {
std::uint32_t be32(const std::string& s, std::size_t off) {
  auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

std::string header_check(const std::string& bytes, const std::string& file, std::uint32_t magic,
                         std::size_t header) {
  if (bytes.size() < 4)
    throw DataError(fmt::format("{}: file too short for an IDX header ({} bytes)", file, bytes.size()));
  std::uint32_t m = be32(bytes, 0);
  if (m != magic)
    throw DataError(fmt::format("{}: wrong IDX magic number 0x{:08x}; expected 0x{:08x} ({})", file,
                                m, magic, magic == 0x803 ? "uint8 images" : "uint8 labels"));
  if (bytes.size() < header)
    throw DataError(fmt::format("{}: file too short for an IDX header ({} bytes)", file, bytes.size()));
  return bytes;
}
}  // namespace

torch::Tensor read_idx_images(const std::string& file) {
  std::string bytes = header_check(read_maybe_gzip(file), file, 0x00000803, 16);
  std::int64_t n = be32(bytes, 4), h = be32(bytes, 8), w = be32(bytes, 12);
  // Sizes are checked before anything is allocated: n·h·w of three 32-bit counts overflows.
  constexpr std::int64_t kMaxSide = 1 << 16;
  if (h < 1 || w < 1 || h > kMaxSide || w > kMaxSide)
    throw DataError(fmt::format("{}: header says images of {}x{} pixels; allowed: 1..{} per side", file, h, w,
                                kMaxSide));
  if (n > static_cast<std::int64_t>(bytes.size()) / (h * w))
    throw DataError(fmt::format("{}: header says {} images of {}x{} but the file has only {} bytes (truncated, or "
                                "a corrupt header)", file, n, h, w, bytes.size()));
  std::size_t expected = 16 + static_cast<std::size_t>(n * h * w);
  if (bytes.size() != expected)
    throw DataError(fmt::format("{}: header says {} images of {}x{} ({} bytes) but the file has {} bytes{}",
                                file, n, h, w, expected, bytes.size(),
                                bytes.size() < expected ? " (truncated)" : ""));
  torch::Tensor t = torch::empty({n, 1, h, w}, torch::kUInt8);
  std::memcpy(t.data_ptr<std::uint8_t>(), bytes.data() + 16, static_cast<std::size_t>(n * h * w));
  return t;
}

torch::Tensor read_idx_labels(const std::string& file) {
  std::string bytes = header_check(read_maybe_gzip(file), file, 0x00000801, 8);
  std::int64_t n = be32(bytes, 4);
  if (bytes.size() != static_cast<std::size_t>(8 + n))
    throw DataError(fmt::format("{}: header says {} labels but the file has {} bytes of labels{}", file,
                                n, bytes.size() - 8, bytes.size() < static_cast<std::size_t>(8 + n) ? " (truncated)" : ""));
  torch::Tensor t = torch::empty({n}, torch::kUInt8);
  std::memcpy(t.data_ptr<std::uint8_t>(), bytes.data() + 8, static_cast<std::size_t>(n));
  return t.to(torch::kInt64);
}

namespace {
std::string find_file(const std::string& dir, const std::string& name) {
  namespace fs = boost::filesystem;
  for (const std::string& cand : {name, name + ".gz"}) {
    fs::path p = fs::path(dir) / cand;
    if (fs::exists(p)) return p.string();
  }
  if (!fs::exists(dir))
    throw DataError(fmt::format("{}: data directory does not exist (data.path)", dir));
  throw DataError(fmt::format("{}: neither {} nor {}.gz found", dir, name, name));
}

Split read_split(const std::string& dir, const std::string& images, const std::string& labels,
                 std::int64_t classes) {
  std::string fi = find_file(dir, images), fl = find_file(dir, labels);
  Split s{read_idx_images(fi), read_idx_labels(fl)};
  if (s.x.size(0) != s.y.size(0))
    throw DataError(fmt::format("{}: {} labels, but {} has {} images", fl, s.y.size(0), fi, s.x.size(0)));
  check_labels(s.y, classes, fl);
  return s;
}
}  // namespace

std::unique_ptr<Dataset> IdxOptions::open(const DataSpec& spec, std::uint64_t) const {
  Split train = read_split(path, train_images, train_labels, num_classes);
  Split test = read_split(path, test_images, test_labels, num_classes);
  if (train.x.sizes().slice(1) != test.x.sizes().slice(1))
    throw DataError(fmt::format("{}: train and test images differ in size", path));
  return std::make_unique<TensorDataset>(std::move(train), std::move(test), num_classes, spec);
}

const config::Options<IdxOptions>& IdxOptions::options() {
  using O = IdxOptions;
  static const auto o =
      config::Options<O>("data (idx)")
          .path("path", [](O& o) -> std::string& { return o.path; }, "directory of the four IDX files")
          .required("the directory holding the IDX files")
          .text("train_images", [](O& o) -> std::string& { return o.train_images; },
                "training images in path (.gz found too)")
          .text("train_labels", [](O& o) -> std::string& { return o.train_labels; }, "training labels")
          .text("test_images", [](O& o) -> std::string& { return o.test_images; }, "test images")
          .text("test_labels", [](O& o) -> std::string& { return o.test_labels; }, "test labels")
          .integer("num_classes", [](O& o) -> std::int64_t& { return o.num_classes; }, 2, 1 << 20,
                   "classes (model outputs)");
  return o;
}

void IdxOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

namespace {
IdxOptions prototype(std::string kind, std::string default_path) {
  IdxOptions p;
  p.kind = std::move(kind);
  p.path = std::move(default_path);
  return p;
}
}  // namespace

DatasetParser IdxOptions::parser(std::string kind, std::string default_path) {
  return [p = prototype(kind, default_path)](config::Section& s) -> std::shared_ptr<const DatasetOptions> {
    auto o = std::make_shared<IdxOptions>(p);
    options().parse(s, *o);
    return o;
  };
}

std::vector<OptionRow> IdxOptions::keys(std::string kind, std::string default_path) {
  return options().rows(prototype(std::move(kind), std::move(default_path)));
}

}  // namespace ax::data
