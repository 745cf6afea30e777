// Class-folder trees of JPEG images (ImageNet layout; also the JPEG copy of CIFAR-10):
//   ROOT/<train_dir>/<class>/*.jpg|*.jpeg   and   ROOT/<test_dir>/<class>/*.jpg|*.jpeg
// Classes are the sorted sub-folder names of the train tree (label = rank); the test tree must
// have the same names. Decoded with TurboJPEG on `data.workers` threads; grayscale becomes RGB.
//
// YAML: {type: image_folder, path: ROOT, train_dir: train, test_dir: val, image_size: 224,
//        resize: 256, train_transform: random_resized_crop, cache: auto, cache_max_mb: 2048,
//        dct_scaling: true}
#pragma once
#include <string>
#include <vector>

#include "axtrain/data/image_transform.h"
#include "axtrain/config/options.h"
#include "axtrain/data/spec.h"

namespace ax::data {

struct ImageFolderOptions final : DatasetOptions {
  std::string path;                  // ROOT (required)
  std::string train_dir = "train";   // training tree, relative to ROOT
  std::string test_dir;              // test tree; "" = "val" if ROOT/val exists, else "test"
  std::int64_t image_size = 224;     // output height = width in pixels, 1..4096
  std::int64_t resize = 256;         // evaluation: short side -> resize, then centre crop
                                     // image_size; >= image_size; default 256 for image_size 224,
                                     // else image_size
  // random_resized_crop: torchvision RandomResizedCrop (area 0.08-1, ratio 3/4-4/3) to
  //   image_size, then a random flip when augmentation.flip (crop_padding must be 0).
  // resize: the evaluation transform, then the DataSpec augmentation (pad-crop, flip).
  enum class TrainTransform { RandomResizedCrop, Resize } train_transform = TrainTransform::RandomResizedCrop;
  // auto: decode both parts once into memory (uint8 [N, 3, S, S]) when train_transform is resize
  // and the images take at most cache_max_mb; true: always (needs train_transform resize);
  // false: decode every batch from the files (streaming).
  enum class Cache { Auto, On, Off } cache = Cache::Auto;
  std::int64_t cache_max_mb = 2048;  // MiB, 1..2^30
  bool dct_scaling = true;           // see ImageTransform

  std::string type() const override { return "image_folder"; }
  void dump(YAML::Node& out) const override;
  std::unique_ptr<Dataset> open(const DataSpec& spec, std::uint64_t seed) const override;
  static const config::Options<ImageFolderOptions>& options();
  static std::shared_ptr<const DatasetOptions> parse(config::Section& s);
  ImageTransform transform() const;
};

// The files of a class-folder tree pair.
struct FolderIndex {
  std::vector<std::string> classes;
  std::vector<std::string> files[2];  // [Part::Train], [Part::Test]
  std::vector<std::int64_t> labels[2];
};
// Lists ROOT/train_dir and ROOT/test_dir ("" = val or test). DataError when a tree is missing,
// has no class folders, a train class has no JPEGs, a part has no images, or the class names of
// the two trees differ (the message lists the differences).
FolderIndex index_image_folder(const std::string& root, const std::string& train_dir,
                               const std::string& test_dir);

}  // namespace ax::data
