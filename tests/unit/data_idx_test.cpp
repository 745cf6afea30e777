// IDX reader on generated files, including corrupt ones; the real MNIST when ../shared is there.
#include <zlib.h>

#include <fstream>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/data/idx.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

using test::be32;
using test::idx_images;
using test::idx_labels;

void write_bytes(const std::string& path, const std::string& bytes, bool gzip) {
  if (!gzip) {
    std::ofstream(path, std::ios::binary) << bytes;
    return;
  }
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Idx, ReadsRawAndGzipWithPixelsInPlace) {
  std::string dir = test::temp_dir("idx");
  write_bytes(dir + "/a.idx", idx_images(3, 4, 5), false);
  write_bytes(dir + "/b.idx.gz", idx_images(3, 4, 5), true);
  torch::Tensor a = data::read_idx_images(dir + "/a.idx"), b = data::read_idx_images(dir + "/b.idx.gz");
  EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{3, 1, 4, 5}));
  EXPECT_TRUE(torch::equal(a, b));
  // Pixel (image 2, row 3, col 4) is byte 2·20 + 3·5 + 4 = 59 of the data.
  EXPECT_EQ(a[2][0][3][4].item<int>(), 59);
  write_bytes(dir + "/l.idx", idx_labels(3, 2), false);
  EXPECT_TRUE(torch::equal(data::read_idx_labels(dir + "/l.idx"), torch::tensor({0, 1, 0}, torch::kInt64)));
}

TEST(Idx, CorruptFilesNameTheFileAndProblem) {
  std::string dir = test::temp_dir("idx-bad");
  write_bytes(dir + "/magic", idx_labels(3, 2), false);
  std::string m = message_of([&] { data::read_idx_images(dir + "/magic"); });
  EXPECT_NE(m.find(dir + "/magic"), std::string::npos) << m;
  EXPECT_NE(m.find("wrong IDX magic number 0x00000801"), std::string::npos) << m;
  std::string trunc = idx_images(3, 4, 5);
  trunc.resize(trunc.size() - 7);
  write_bytes(dir + "/trunc.gz", trunc, true);
  EXPECT_NE(message_of([&] { data::read_idx_images(dir + "/trunc.gz"); }).find("truncated"), std::string::npos);
  std::string gz = dir + "/broken.gz";
  write_bytes(gz, idx_images(3, 4, 5), true);
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  write_bytes(gz, bytes.substr(0, bytes.size() / 2), false);
  EXPECT_NE(message_of([&] { data::read_idx_images(gz); }).find(gz), std::string::npos);
}

TEST(Idx, DatasetChecksCountsAndLabels) {
  std::string dir = test::temp_dir("idx-set");
  write_bytes(dir + "/train-images-idx3-ubyte", idx_images(4, 2, 2), false);
  write_bytes(dir + "/train-labels-idx1-ubyte", idx_labels(5, 3), false);
  write_bytes(dir + "/t10k-images-idx3-ubyte.gz", idx_images(2, 2, 2), true);
  write_bytes(dir + "/t10k-labels-idx1-ubyte.gz", idx_labels(2, 3), true);
  data::IdxOptions o;
  o.path = dir;
  data::DataSpec spec;
  EXPECT_NE(message_of([&] { o.open(spec, 0); }).find("5 labels, but"), std::string::npos);
  std::string l11 = be32(0x801) + be32(4) + std::string{0, 11, 1, 2};
  write_bytes(dir + "/train-labels-idx1-ubyte", l11, false);
  std::string m = message_of([&] { o.open(spec, 0); });
  EXPECT_NE(m.find("label 11 out of range; expected 0..9"), std::string::npos) << m;
  write_bytes(dir + "/train-labels-idx1-ubyte", idx_labels(4, 3), false);
  auto ds = o.open(spec, 0);
  EXPECT_EQ(ds->size(data::Part::Train), 4);
  EXPECT_EQ(ds->input_shape(), (std::vector<std::int64_t>{1, 2, 2}));
}

TEST(Idx, RealMnistWhenShared) {
  std::string dir = test::shared_dir() + "/data/mnist";
  if (!boost::filesystem::exists(dir)) GTEST_SKIP() << "../shared/data/mnist not present (a user's clone)";
  data::IdxOptions o;
  o.path = dir;
  auto ds = o.open(data::DataSpec{}, 0);
  EXPECT_EQ(ds->size(data::Part::Train), 60000);
  EXPECT_EQ(ds->size(data::Part::Test), 10000);
  // Class counts of the test set published in ../shared/data/README.md: 980 zeros, 1135 ones.
  auto* t = dynamic_cast<data::TensorDataset*>(ds.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->split(data::Part::Test).y.eq(0).sum().item<int>(), 980);
  EXPECT_EQ(t->split(data::Part::Test).y.eq(1).sum().item<int>(), 1135);
}

}  // namespace
}  // namespace ax
