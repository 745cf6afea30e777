#include "axtrain/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"
#include "axtrain/data/image_folder_dataset.h"

namespace ax::data {

namespace fs = boost::filesystem;

namespace {
bool is_jpeg(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> sorted_entries(const fs::path& dir, bool directories) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (directories ? fs::is_directory(e.path()) : (fs::is_regular_file(e.path()) && is_jpeg(e.path())))
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> class_dirs(const fs::path& tree, const char* what) {
  if (!fs::is_directory(tree))
    throw DataError(fmt::format("{}: {} folder does not exist", tree.string(), what));
  std::vector<std::string> classes = sorted_entries(tree, true);
  if (classes.empty())
    throw DataError(fmt::format("{}: no class sub-folders in the {} folder", tree.string(), what));
  return classes;
}

std::vector<std::string> missing_from(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
}  // namespace

FolderIndex index_image_folder(const std::string& root, const std::string& train_dir,
                               const std::string& test_dir) {
  if (!fs::is_directory(root))
    throw DataError(fmt::format("{}: image folder root does not exist (data.path)", root));
  fs::path train = fs::path(root) / train_dir;
  fs::path test = fs::path(root) / (test_dir.empty() ? (fs::is_directory(fs::path(root) / "val") ? "val" : "test")
                                                     : test_dir);
  FolderIndex ix;
  ix.classes = class_dirs(train, "train");
  std::vector<std::string> test_classes = class_dirs(test, "test");
  if (test_classes != ix.classes) {
    auto only_train = missing_from(ix.classes, test_classes), only_test = missing_from(test_classes, ix.classes);
    throw DataError(fmt::format("{} and {}: class folders differ (only in train: [{}]; only in test: [{}])",
                                train.string(), test.string(), join(only_train, ", "), join(only_test, ", ")));
  }
  const fs::path trees[2] = {train, test};
  for (int part = 0; part < 2; ++part) {
    for (std::size_t c = 0; c < ix.classes.size(); ++c) {
      fs::path dir = trees[part] / ix.classes[c];
      std::vector<std::string> files = sorted_entries(dir, false);
      if (files.empty() && part == 0)
        throw DataError(fmt::format("{}: no .jpg/.jpeg files in this class folder", dir.string()));
      for (const auto& f : files) {
        ix.files[part].push_back((dir / f).string());
        ix.labels[part].push_back(static_cast<std::int64_t>(c));
      }
    }
    if (ix.files[part].empty())
      throw DataError(fmt::format("{}: no .jpg/.jpeg files in any class folder", trees[part].string()));
  }
  return ix;
}

ImageTransform ImageFolderOptions::transform() const {
  return {static_cast<int>(image_size), static_cast<int>(resize), dct_scaling};
}

std::unique_ptr<Dataset> ImageFolderOptions::open(const DataSpec& spec, std::uint64_t) const {
  const bool rrc = train_transform == TrainTransform::RandomResizedCrop;
  if (rrc && spec.augmentation.crop_padding > 0)
    throw ConfigError(fmt::format("data.augmentation: crop_padding {} cannot follow "
                                  "train_transform random_resized_crop (use flip only, or "
                                  "train_transform: resize)", spec.augmentation.crop_padding));
  FolderIndex ix = index_image_folder(path, train_dir, test_dir);
  const double mb = static_cast<double>(ix.files[0].size() + ix.files[1].size()) * 3.0 *
                    static_cast<double>(image_size * image_size) / (1024.0 * 1024.0);
  const bool cached = cache == Cache::On || (cache == Cache::Auto && !rrc && mb <= static_cast<double>(cache_max_mb));
  if (!cached) return std::make_unique<ImageFolderDataset>(std::move(ix), *this, spec);

  ThreadPool pool(static_cast<std::size_t>(spec.workers));
  auto all = [&](int part) {
    std::vector<std::int64_t> idx(ix.files[part].size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::int64_t>(i);
    Part p = part == 0 ? Part::Train : Part::Test;
    return Split{decode_eval(ix, p, idx, transform(), pool), torch::tensor(ix.labels[part], torch::kInt64)};
  };
  Split train = all(0), test = all(1);
  return std::make_unique<TensorDataset>(std::move(train), std::move(test),
                                         static_cast<std::int64_t>(ix.classes.size()), spec);
}

void ImageFolderOptions::dump(YAML::Node& out) const {
  out["path"] = path;
  out["train_dir"] = train_dir;
  out["test_dir"] = test_dir;
  out["image_size"] = image_size;
  out["resize"] = resize;
  out["train_transform"] = train_transform == TrainTransform::Resize ? "resize" : "random_resized_crop";
  if (cache == Cache::Auto) out["cache"] = "auto";
  else out["cache"] = cache == Cache::On;
  out["cache_max_mb"] = cache_max_mb;
  out["dct_scaling"] = dct_scaling;
}

std::shared_ptr<const DatasetOptions> ImageFolderOptions::parse(config::Section& s) {
  auto o = std::make_shared<ImageFolderOptions>();
  o->path = s.get_path("path", "");
  if (o->path.empty()) s.fail("path", "required: the root holding train/<class>/*.jpg and val/ or test/");
  o->train_dir = s.get_string("train_dir", o->train_dir);
  o->test_dir = s.get_string("test_dir", "");
  o->image_size = s.get_int("image_size", 224, 1, 4096);
  o->resize = s.get_int("resize", o->image_size == 224 ? 256 : o->image_size, 1, 65536);
  if (o->resize < o->image_size)
    s.fail("resize", fmt::format("must be >= image_size ({}): the centre crop is taken from the "
                                 "resized image", o->image_size));
  using T = TrainTransform;
  o->train_transform = s.get_choice<T>("train_transform", T::RandomResizedCrop,
                                       {{"random_resized_crop", T::RandomResizedCrop}, {"resize", T::Resize}});
  YAML::Node c = s.raw("cache");
  bool on = false;
  if (c.IsDefined() && c.IsScalar() && YAML::convert<bool>::decode(c, on)) {
    s.mark("cache");
    o->cache = on ? Cache::On : Cache::Off;
  } else {
    o->cache = s.get_choice<Cache>("cache", Cache::Auto,
                                   {{"auto", Cache::Auto}, {"true", Cache::On}, {"false", Cache::Off}});
  }
  if (o->cache == Cache::On && o->train_transform == T::RandomResizedCrop)
    s.fail("cache", "the cache holds the images after resize and centre crop, so it cannot serve "
                    "train_transform random_resized_crop; use train_transform: resize or cache: false");
  o->cache_max_mb = s.get_int("cache_max_mb", 2048, 1, std::int64_t{1} << 30);
  o->dct_scaling = s.get_bool("dct_scaling", true);
  return o;
}

}  // namespace ax::data
