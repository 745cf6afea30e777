// CIFAR-10 binary reader: small batch files written here; pixels and labels must land where
// the record layout (label byte, then R, G, B planes of 32x32) puts them.
#include <gtest/gtest.h>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/data/tensor_dataset.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

namespace fs = boost::filesystem;

// Pixel byte j (0..3071) of record r in file f.
unsigned char pixel(int f, int r, int j) { return static_cast<unsigned char>((f * 31 + r * 7 + j * 13) % 256); }
int label_of(int f, int r) { return (f * 3 + r) % 10; }

std::string record(int f, int r, int label) {
  std::string s(1, static_cast<char>(label));
  for (int j = 0; j < 3072; ++j) s += static_cast<char>(pixel(f, r, j));
  return s;
}

// data_batch_1..5 with f + 1 records each (f = 0..4), test_batch (f = 5) with 3 records.
std::string make_dir() {
  std::string dir = test::temp_dir("cifar");
  for (int f = 0; f < 6; ++f) {
    std::string bytes;
    int n = f < 5 ? f + 1 : 3;
    for (int r = 0; r < n; ++r) bytes += record(f, r, label_of(f, r));
    test::write_text(dir + (f < 5 ? fmt::format("/data_batch_{}.bin", f + 1) : "/test_batch.bin"), bytes);
  }
  return dir;
}

std::string message_of(const std::string& dir) {
  try {
    test::data_spec(fmt::format("{{type: cifar10, path: '{}'}}", dir)).open(1);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no DataError";
}

TEST(Cifar10, PixelsAndLabelsLandWhereWritten) {
  std::string dir = make_dir();
  auto ds = test::data_spec(fmt::format("{{type: cifar10, path: '{}'}}", dir)).open(1);
  ASSERT_EQ(ds->size(data::Part::Train), 1 + 2 + 3 + 4 + 5);
  ASSERT_EQ(ds->size(data::Part::Test), 3);
  EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{3, 32, 32}));
  EXPECT_EQ(ds->num_classes(), 10);
  auto& td = dynamic_cast<const data::TensorDataset&>(*ds);
  const auto& train = td.split(data::Part::Train);
  ASSERT_EQ(train.x.scalar_type(), torch::kUInt8);
  // Train example k: file f, record r in order.
  int k = 0;
  for (int f = 0; f < 5; ++f) {
    for (int r = 0; r <= f; ++r, ++k) {
      EXPECT_EQ(train.y[k].item<std::int64_t>(), label_of(f, r));
      for (int c : {0, 1, 2})
        for (auto [h, w] : {std::pair{0, 0}, {0, 31}, {5, 17}, {31, 0}, {31, 31}})
          ASSERT_EQ(train.x[k][c][h][w].item<int>(), pixel(f, r, c * 1024 + h * 32 + w))
              << "example " << k << " c" << c << " h" << h << " w" << w;
    }
  }
  const auto& test = td.split(data::Part::Test);
  EXPECT_EQ(test.y[2].item<std::int64_t>(), label_of(5, 2));
  EXPECT_EQ(test.x[2][1][3][4].item<int>(), pixel(5, 2, 1024 + 3 * 32 + 4));
  // load() scales to [0, 1].
  std::mt19937_64 rng(1);
  data::Batch b = ds->load(data::Part::Test, {2}, false, rng);
  EXPECT_FLOAT_EQ(b.x[0][2][31][30].item<float>(), pixel(5, 2, 2048 + 31 * 32 + 30) / 255.0f);
  fs::remove_all(dir);
}

TEST(Cifar10, SizeNotAMultipleOfTheRecordIsAnError) {
  std::string dir = make_dir();
  fs::resize_file(dir + "/data_batch_3.bin", 3 * 3073 - 1);
  std::string msg = message_of(dir);
  EXPECT_NE(msg.find("data_batch_3.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3073"), std::string::npos) << msg;
  fs::remove_all(dir);
}

TEST(Cifar10, LabelAboveNineIsAnError) {
  std::string dir = make_dir();
  test::write_text(dir + "/test_batch.bin", record(5, 0, 3) + record(5, 1, 11));
  std::string msg = message_of(dir);
  EXPECT_NE(msg.find("test_batch.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("label 11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record 1"), std::string::npos) << msg;
  fs::remove_all(dir);
}

TEST(Cifar10, MissingFileIsAnError) {
  std::string dir = make_dir();
  fs::remove(dir + "/data_batch_5.bin");
  std::string msg = message_of(dir);
  EXPECT_NE(msg.find("data_batch_5.bin"), std::string::npos) << msg;
  EXPECT_NE(message_of(dir + "/nope").find("nope"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ax
