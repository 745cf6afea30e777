#include "axtrain/data/cifar10.h"

#include <cstring>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace ax::data {

namespace {
constexpr std::int64_t kPixels = 3 * 32 * 32;
constexpr std::int64_t kRecord = 1 + kPixels;

Split read_files(const std::string& dir, const std::vector<std::string>& names) {
  namespace fs = boost::filesystem;
  if (!fs::is_directory(dir))
    throw DataError(fmt::format("{}: CIFAR-10 directory does not exist (data.path)", dir));
  std::vector<torch::Tensor> xs, ys;
  for (const auto& name : names) {
    Split s = read_cifar10_batch((fs::path(dir) / name).string());
    xs.push_back(s.x);
    ys.push_back(s.y);
  }
  return {torch::cat(xs), torch::cat(ys)};
}
}  // namespace

Split read_cifar10_batch(const std::string& file) {
  if (!boost::filesystem::exists(file)) throw DataError(fmt::format("{}: file not found", file));
  std::string bytes = read_file(file);
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size == 0) throw DataError(fmt::format("{}: empty file", file));
  if (size % kRecord != 0)
    throw DataError(fmt::format(
        "{}: {} bytes is not a whole number of {}-byte CIFAR-10 records (1 label + 3072 pixels); "
        "truncated, or not the binary version?",
        file, size, kRecord));
  const std::int64_t n = size / kRecord;
  torch::Tensor x = torch::empty({n, 3, 32, 32}, torch::kUInt8);
  torch::Tensor y = torch::empty({n}, torch::kInt64);
  auto* px = x.data_ptr<std::uint8_t>();
  auto* py = y.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const char* rec = bytes.data() + i * kRecord;
    const auto label = static_cast<unsigned char>(rec[0]);
    if (label > 9)
      throw DataError(fmt::format("{}: record {} (byte offset {}) has label {}; expected 0..9", file,
                                  i, i * kRecord, label));
    py[i] = label;
    std::memcpy(px + i * kPixels, rec + 1, kPixels);
  }
  return {x, y};
}

std::unique_ptr<Dataset> Cifar10Options::open(const DataSpec& spec, std::uint64_t) const {
  return std::make_unique<TensorDataset>(read_files(path, train_files), read_files(path, test_files),
                                         10, spec);
}

const config::Options<Cifar10Options>& Cifar10Options::options() {
  using O = Cifar10Options;
  auto one = [](const std::vector<std::string>& v) { return v.empty() ? "must name at least one file" : ""; };
  static const auto o =
      config::Options<O>("data (cifar10)")
          .path("path", [](O& o) -> std::string& { return o.path; }, "directory of the .bin files")
          .required("the directory holding data_batch_1.bin .. test_batch.bin (CIFAR-10 binary version)")
          .texts("train_files", [](O& o) -> std::vector<std::string>& { return o.train_files; },
                 "training batches in path")
          .check([one](const O& o) { return std::string(one(o.train_files)); })
          .texts("test_files", [](O& o) -> std::vector<std::string>& { return o.test_files; }, "test batches in path")
          .check([one](const O& o) { return std::string(one(o.test_files)); });
  return o;
}

void Cifar10Options::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<const DatasetOptions> Cifar10Options::parse(config::Section& s) {
  auto o = std::make_shared<Cifar10Options>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::data
