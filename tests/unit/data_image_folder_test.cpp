// image_folder: JPEG class-folder trees written here with tjCompress2.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/data/image_transform.h"
#include "axtrain/data/tensor_dataset.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

namespace fs = boost::filesystem;
using data::Part;

// Class folders in non-sorted creation order; sorted they are a_cat (0), b_dog (1), c_eel (2).
const char* kClasses[] = {"c_eel", "a_cat", "b_dog"};
// The flat colour of each class, by sorted label.
const unsigned char kColour[3][3] = {{200, 40, 90}, {30, 160, 220}, {250, 250, 10}};
int label_of(const std::string& cls) { return cls[0] - 'a'; }

// root/train/<class>/{0,1,2}.jpg and root/<test>/<class>/0.jpg, flat images of 40x30 (one
// 30x40 per class, to exercise the short side) in the class colour.
std::string make_tree(const std::string& test = "val") {
  std::string root = test::temp_dir("imgfolder");
  for (const char* cls : kClasses) {
    const unsigned char* c = kColour[label_of(cls)];
    for (const std::string& part : {std::string("train"), test}) {
      fs::create_directories(root + "/" + part + "/" + cls);
      int n = part == "train" ? 3 : 1;
      for (int i = 0; i < n; ++i) {
        int w = i == 1 ? 30 : 40, h = i == 1 ? 40 : 30;
        test::write_jpeg(fmt::format("{}/{}/{}/{}.jpg", root, part, cls, i), test::flat_rgb(w, h, c[0], c[1], c[2]), w, h, 3);
      }
    }
  }
  return root;
}

std::string spec_yaml(const std::string& root, const std::string& extra, int image_size = 16) {
  return fmt::format("{{type: image_folder, path: '{}', image_size: {}, workers: 2{}}}", root, image_size,
                     extra.empty() ? "" : ", " + extra);
}

std::vector<std::int64_t> iota(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

std::string folder_error_of(const std::string& yaml, bool load_all = false) {
  try {
    auto ds = test::data_spec(yaml).open(1);
    std::mt19937_64 rng(1);
    if (load_all) ds->load(Part::Train, iota(ds->size(Part::Train)), false, rng);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no DataError";
}

TEST(ImageFolder, FlatColoursDecodeCloseAndClassesAreSorted) {
  std::string root = make_tree();
  for (const char* cache : {"true", "false"}) {
    auto ds = test::data_spec(spec_yaml(root, fmt::format("train_transform: resize, cache: {}", cache))).open(1);
    ASSERT_EQ(ds->size(Part::Train), 9);
    ASSERT_EQ(ds->size(Part::Test), 3);
    EXPECT_EQ(ds->num_classes(), 3);
    EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{3, 16, 16}));
    std::mt19937_64 rng(1);
    for (Part p : {Part::Train, Part::Test}) {
      data::Batch b = ds->load(p, iota(ds->size(p)), false, rng);
      for (std::int64_t i = 0; i < b.y.size(0); ++i) {
        std::int64_t label = b.y[i].item<std::int64_t>();
        ASSERT_GE(label, 0);
        ASSERT_LT(label, 3);
        if (p == Part::Train) { EXPECT_EQ(label, i / 3); }  // files are listed class by class, sorted
        for (int c = 0; c < 3; ++c) {
          torch::Tensor plane = b.x[i][c] * 255.0;
          EXPECT_LE((plane - kColour[label][c]).abs().max().item<float>(), 3.0f)
              << "cache " << cache << " example " << i << " channel " << c;
        }
      }
    }
  }
  fs::remove_all(root);
}

TEST(ImageFolder, TestDirDefaultsToValElseTest) {
  std::string root = make_tree("test");
  auto ds = test::data_spec(spec_yaml(root, "")).open(1);
  EXPECT_EQ(ds->size(Part::Test), 3);
  fs::remove_all(root);
}

TEST(ImageFolder, GrayscaleExpandsToThreeChannels) {
  std::string root = make_tree();
  std::vector<unsigned char> gray(20 * 20, 77);
  test::write_jpeg(root + "/train/a_cat/9.jpg", gray, 20, 20, 1);
  auto ds = test::data_spec(spec_yaml(root, "train_transform: resize, cache: false")).open(1);
  std::mt19937_64 rng(1);
  data::Batch b = ds->load(Part::Train, {3}, false, rng);  // a_cat: 0, 1, 2, 9 -> index 3
  EXPECT_EQ(b.y[0].item<std::int64_t>(), 0);
  EXPECT_LE((b.x[0] * 255.0 - 77).abs().max().item<float>(), 1.0f);
  fs::remove_all(root);
}

TEST(ImageFolder, MismatchedClassNamesAreAnError) {
  std::string root = make_tree();
  fs::rename(root + "/val/b_dog", root + "/val/b_wolf");
  std::string msg = folder_error_of(spec_yaml(root, ""));
  EXPECT_NE(msg.find("b_dog"), std::string::npos) << msg;
  EXPECT_NE(msg.find("b_wolf"), std::string::npos) << msg;
  fs::remove_all(root);
}

TEST(ImageFolder, CorruptJpegIsAnErrorNamingIt) {
  std::string root = make_tree();
  test::write_text(root + "/train/b_dog/1.jpg", "\xff\xd8\xff\xe0 definitely not a JPEG body");
  // Cached: fails while opening; streaming: fails in the batch that holds it.
  std::string cached = folder_error_of(spec_yaml(root, "train_transform: resize, cache: true"));
  EXPECT_NE(cached.find("b_dog/1.jpg"), std::string::npos) << cached;
  std::string streamed = folder_error_of(spec_yaml(root, "train_transform: resize, cache: false"), true);
  EXPECT_NE(streamed.find("b_dog/1.jpg"), std::string::npos) << streamed;
  // A truncated JPEG (libjpeg only warns) is rejected too.
  test::write_jpeg(root + "/train/b_dog/1.jpg", test::flat_rgb(8, 8, 1, 2, 3), 8, 8, 3);
  std::string whole = root + "/train/a_cat/0.jpg";
  fs::resize_file(whole, fs::file_size(whole) / 2);
  std::string cut = folder_error_of(spec_yaml(root, "train_transform: resize, cache: false"), true);
  EXPECT_NE(cut.find("a_cat/0.jpg"), std::string::npos) << cut;
  fs::remove_all(root);
}

TEST(ImageFolder, RandomResizedCropShapeAndDeterminism) {
  std::string root = make_tree();
  auto ds = test::data_spec(spec_yaml(root, "augmentation: flip", 24)).open(1);
  EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{3, 24, 24}));
  std::mt19937_64 r1(7), r2(7);
  data::Batch a = ds->load(Part::Train, {0, 4, 8, 2}, true, r1);
  data::Batch b = ds->load(Part::Train, {0, 4, 8, 2}, true, r2);
  EXPECT_EQ(a.x.sizes(), (std::vector<std::int64_t>{4, 3, 24, 24}));
  EXPECT_TRUE(torch::equal(a.x, b.x));
  // Flat colours stay flat under any crop.
  EXPECT_LE((a.x[1][0] * 255.0 - kColour[1][0]).abs().max().item<float>(), 3.0f);
  fs::remove_all(root);
}

TEST(ImageFolder, RandomResizedCropBoxFollowsTorchvisionRanges) {
  std::mt19937_64 rng(3);
  int fallback = 0;
  for (int i = 0; i < 2000; ++i) {
    data::CropBox c = data::random_resized_crop_box(60, 90, rng);
    ASSERT_GE(c.y, 0);
    ASSERT_GE(c.x, 0);
    ASSERT_LE(c.y + c.h, 60);
    ASSERT_LE(c.x + c.w, 90);
    double area = static_cast<double>(c.h) * c.w / (60.0 * 90.0);
    double ratio = static_cast<double>(c.w) / c.h;
    if (c.h == 60 && c.w == 80) {
      ++fallback;  // centre crop clamped to ratio 4/3
      continue;
    }
    // Rounding of w and h to integers moves area and ratio a little.
    EXPECT_GE(area, 0.08 * 0.9);
    EXPECT_LE(area, 1.0);
    EXPECT_GE(ratio, 0.75 * 0.9);
    EXPECT_LE(ratio, 4.0 / 3.0 * 1.1);
  }
  EXPECT_LT(fallback, 100);
  // A very wide image cannot host a crop of ratio <= 4/3 with area >= 8%... except small ones;
  // a 1-pixel-high image always falls back to the clamped centre crop.
  data::CropBox thin = data::random_resized_crop_box(1, 100, rng);
  EXPECT_EQ(thin.h, 1);
  EXPECT_LE(thin.w, 2);
}

TEST(ImageFolder, CachedAndStreamingGiveTheSameBatches) {
  std::string root = make_tree();
  // Non-flat content so that any difference in the pipelines shows.
  std::vector<unsigned char> p(50 * 37 * 3);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<unsigned char>((i * 7919) % 251);
  test::write_jpeg(root + "/val/b_dog/0.jpg", p, 50, 37, 3, 90);
  test::write_jpeg(root + "/train/b_dog/0.jpg", p, 50, 37, 3, 90);
  auto cached = test::data_spec(spec_yaml(root, "train_transform: resize, resize: 20, cache: true, augmentation: crop_flip")).open(1);
  auto streamed = test::data_spec(spec_yaml(root, "train_transform: resize, resize: 20, cache: false, augmentation: crop_flip")).open(1);
  EXPECT_NE(dynamic_cast<const data::TensorDataset*>(cached.get()), nullptr);
  EXPECT_EQ(dynamic_cast<const data::TensorDataset*>(streamed.get()), nullptr);
  std::mt19937_64 r1(1), r2(1);
  data::Batch a = cached->load(Part::Test, {1, 0, 2}, false, r1);
  data::Batch b = streamed->load(Part::Test, {1, 0, 2}, false, r2);
  EXPECT_TRUE(torch::equal(a.x, b.x));
  EXPECT_TRUE(torch::equal(a.y, b.y));
  data::Batch ta = cached->load(Part::Train, {3, 4, 5, 0}, true, r1);
  data::Batch tb = streamed->load(Part::Train, {3, 4, 5, 0}, true, r2);
  EXPECT_TRUE(torch::equal(ta.x, tb.x));
  fs::remove_all(root);
}

TEST(ImageFolder, CacheRequiresResizeTransform) {
  EXPECT_THROW(test::data_spec("{type: image_folder, path: x, cache: true}"), ConfigError);
  EXPECT_THROW(test::data_spec("{type: image_folder, path: x, cache: maybe}"), ConfigError);
  EXPECT_THROW(test::data_spec("{type: image_folder, path: x, image_size: 64, resize: 32}"), ConfigError);
}

// Throughput of streaming loads, 500x375 JPEGs to 224x224 on 2 workers. Not a test (no
// assertion on time): run with --gtest_also_run_disabled_tests --gtest_filter=*Throughput*.
TEST(ImageFolder, DISABLED_StreamingThroughput) {
  std::string root = test::temp_dir("imgspeed");
  const int W = 500, H = 375, per_class = 64;
  std::mt19937 gen(1);
  for (const char* part : {"train", "val"}) {
    for (int c = 0; c < 4; ++c) {
      std::string dir = fmt::format("{}/{}/class{}", root, part, c);
      fs::create_directories(dir);
      for (int i = 0; i < per_class; ++i) {
        std::vector<unsigned char> p(static_cast<std::size_t>(W) * H * 3);
        for (int y = 0; y < H; ++y)  // smooth gradients plus noise: photo-like file sizes
          for (int x = 0; x < W; ++x)
            for (int k = 0; k < 3; ++k)
              p[(static_cast<std::size_t>(y) * W + x) * 3 + k] = static_cast<unsigned char>(
                  (x * (k + 1) + y * (3 - k) + i * 17 + static_cast<int>(gen() % 24)) % 256);
        test::write_jpeg(fmt::format("{}/{}.jpg", dir, i), p, W, H, 3, 90);
      }
    }
  }
  for (const char* extra : {"", "dct_scaling: false"}) {
    auto ds = test::data_spec(fmt::format("{{type: image_folder, path: '{}', workers: 2, cache: false, "
                                          "augmentation: flip{}}}", root, *extra ? std::string(", ") + extra : "")).open(1);
    for (bool train : {true, false}) {
      Part part = train ? Part::Train : Part::Test;
      std::mt19937_64 rng(1);
      auto idx = iota(ds->size(part));
      ds->load(part, {0, 1}, train, rng);  // warm-up
      auto t0 = std::chrono::steady_clock::now();
      for (std::size_t lo = 0; lo < idx.size(); lo += 64)
        ds->load(part, std::vector<std::int64_t>(idx.begin() + lo, idx.begin() + std::min(idx.size(), lo + 64)), train, rng);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("[throughput] %s %s: %zu images in %.2f s = %.0f images/s\n",
                  train ? "train random_resized_crop" : "eval resize 256 + centre crop 224",
                  *extra ? extra : "dct_scaling: true", idx.size(), s, idx.size() / s);
    }
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace ax
