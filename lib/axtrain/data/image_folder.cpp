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

const config::Options<ImageFolderOptions>& ImageFolderOptions::options() {
  using O = ImageFolderOptions;
  using T = TrainTransform;
  static const auto o =
      config::Options<O>("data (image_folder)")
          .path("path", [](O& o) -> std::string& { return o.path; }, "ROOT of the class-folder trees")
          .required("the root holding train/<class>/*.jpg and val/ or test/")
          .text("train_dir", [](O& o) -> std::string& { return o.train_dir; }, "training tree, relative to ROOT")
          .text("test_dir", [](O& o) -> std::string& { return o.test_dir; },
                "test tree; empty = val if ROOT/val exists, else test")
          .integer("image_size", [](O& o) -> std::int64_t& { return o.image_size; }, 1, 4096,
                   "output height = width, pixels")
          .integer("resize", [](O& o) -> std::int64_t& { return o.resize; }, 1, 65536,
                   "evaluation: short side resized to this, then the centre crop (default 256 for image_size 224, "
                   "else image_size)")
          .default_from([](O& o) { o.resize = o.image_size == 224 ? 256 : o.image_size; })
          .check([](const O& o) {
            return o.resize >= o.image_size ? std::string()
                                            : fmt::format("must be >= image_size ({}): the centre crop is taken "
                                                          "from the resized image", o.image_size);
          })
          .choice<T>("train_transform", [](O& o) -> T& { return o.train_transform; },
                     {{"random_resized_crop", T::RandomResizedCrop}, {"resize", T::Resize}},
                     "training images: torchvision's RandomResizedCrop, or the evaluation resize")
          .custom(
              "cache",
              [](config::Section& s, O& o) {
                YAML::Node c = s.raw("cache");
                bool on = false;
                if (c.IsDefined() && c.IsScalar() && YAML::convert<bool>::decode(c, on)) {
                  s.mark("cache");
                  o.cache = on ? Cache::On : Cache::Off;
                } else {
                  o.cache = s.get_choice<Cache>("cache", o.cache,
                                                {{"auto", Cache::Auto}, {"true", Cache::On}, {"false", Cache::Off}});
                }
                if (o.cache == Cache::On && o.train_transform == T::RandomResizedCrop)
                  s.fail("cache", "the cache holds the images after resize and centre crop, so it cannot serve "
                                  "train_transform random_resized_crop; use train_transform: resize or cache: false");
              },
              [](const O& o, YAML::Node& n) {
                if (o.cache == Cache::Auto) n["cache"] = "auto";
                else n["cache"] = o.cache == Cache::On;
              },
              {OptionRow{"cache", "auto | true | false", "", "auto",
                         "auto: decode both parts into memory once when train_transform is resize and they fit "
                         "in cache_max_mb; true: always; false: decode every batch from the files"}})
          .integer("cache_max_mb", [](O& o) -> std::int64_t& { return o.cache_max_mb; }, 1, std::int64_t{1} << 30,
                   "MiB the cache may take")
          .boolean("dct_scaling", [](O& o) -> bool& { return o.dct_scaling; },
                   "decode at 1/8..7/8 scale when that still leaves ≥ the pixels needed");
  return o;
}

void ImageFolderOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<const DatasetOptions> ImageFolderOptions::parse(config::Section& s) {
  auto o = std::make_shared<ImageFolderOptions>();
  options().parse(s, *o);
  return o;
}

}  // namespace ax::data
