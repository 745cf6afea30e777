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

void Cifar10Options::dump(YAML::Node& out) const {
  out["path"] = path;
  for (const auto& f : train_files) out["train_files"].push_back(f);
  for (const auto& f : test_files) out["test_files"].push_back(f);
  out["train_files"].SetStyle(YAML::EmitterStyle::Flow);
  out["test_files"].SetStyle(YAML::EmitterStyle::Flow);
}

std::shared_ptr<const DatasetOptions> Cifar10Options::parse(config::Section& s) {
  auto o = std::make_shared<Cifar10Options>();
  o->path = s.get_path("path", "");
  if (o->path.empty())
    s.fail("path", "required: the directory holding data_batch_1.bin .. test_batch.bin "
                   "(CIFAR-10 binary version)");
  o->train_files = s.get_string_list("train_files", o->train_files);
  o->test_files = s.get_string_list("test_files", o->test_files);
  if (o->train_files.empty()) s.fail("train_files", "must name at least one file");
  if (o->test_files.empty()) s.fail("test_files", "must name at least one file");
  return o;
}

}  // namespace ax::data
