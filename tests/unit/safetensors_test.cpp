// safetensors reading and writing: a file written by the Python exporter's own writer
// (scripts/export_torchvision.py --self-test, an independent implementation), hand-built bytes,
// corrupt files, and loading a whole model by torchvision names.
#include <cstdlib>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/models/model.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/safetensors.h"
#include "data_test_util.h"
#include "test_util.h"

namespace ax {
namespace {

using train::NamedTensors;

torch::Tensor find(const NamedTensors& t, const std::string& name) {
  for (const auto& [n, v] : t.tensors)
    if (n == name) return v;
  return {};
}

std::string le64(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return s;
}

// A file with one header and raw data, as bytes.
std::string file_bytes(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::string safetensors_error_of(const std::string& path) {
  try {
    train::read_safetensors(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no DataError";
}

TEST(Safetensors, ReadsWhatThePythonExporterWrites) {
  if (std::system("python3 --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not installed";
  std::string dir = test::temp_dir("st-py");
  std::string path = dir + "/self.safetensors";
  std::string cmd = "python3 " + test::source_dir() + "/scripts/export_torchvision.py --self-test " + path;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  NamedTensors t = train::read_safetensors(path);
  ASSERT_EQ(t.tensors.size(), 3u);
  torch::Tensor a = find(t, "a"), b = find(t, "b"), c = find(t, "c");
  ASSERT_TRUE(a.defined() && b.defined() && c.defined());
  EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.view(-1)[i].item<float>(), i / 4.0f);
  EXPECT_EQ(b.scalar_type(), torch::kInt64);
  EXPECT_EQ(b[0].item<std::int64_t>(), -3);
  EXPECT_EQ(b[1].item<std::int64_t>(), 5);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c[i].item<double>(), 0.1 * (i + 1));
  EXPECT_EQ(t.metadata.at("source"), "export_torchvision.py --self-test");
  boost::filesystem::remove_all(dir);
}

TEST(Safetensors, HandBuiltBytesAndCorruptFiles) {
  std::string dir = test::temp_dir("st-hand");
  // Two int16 values 258 (0x0102) and -1, then a 0-d uint8 7.
  std::string data = std::string("\x02\x01\xff\xff", 4) + "\x07";
  std::string ok = R"({"x":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[],"data_offsets":[4,5]}})";
  test::write_text(dir + "/ok.safetensors", file_bytes(ok, data));
  NamedTensors t = train::read_safetensors(dir + "/ok.safetensors");
  EXPECT_EQ(find(t, "x")[0].item<std::int64_t>(), 258);
  EXPECT_EQ(find(t, "x")[1].item<std::int64_t>(), -1);
  EXPECT_EQ(find(t, "y").dim(), 0);
  EXPECT_EQ(find(t, "y").item<std::int64_t>(), 7);

  struct Bad {
    std::string bytes, expect;
  };
  for (const Bad& b : {Bad{"abc", "shorter than the 8-byte header length"},
                       Bad{le64(1000) + "{}", "exceeds the file"},
                       Bad{file_bytes("[1, 2]", ""), "not a JSON object"},
                       Bad{file_bytes(R"({"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}})", "a"), "unsupported dtype 'Q9'"},
                       Bad{file_bytes(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"), "needs 8"},
                       Bad{file_bytes(R"({"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", "ab"), "outside the 2 data bytes"},
                       Bad{file_bytes(R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", "abc"), "overlap"},
                       Bad{file_bytes(R"({"x":{"dtype":"U8","shape":[2]}})", "ab"), "needs dtype, shape and data_offsets"}}) {
    test::write_text(dir + "/bad.safetensors", b.bytes);
    std::string e = safetensors_error_of(dir + "/bad.safetensors");
    EXPECT_NE(e.find("bad.safetensors"), std::string::npos) << e;
    EXPECT_NE(e.find(b.expect), std::string::npos) << e;
  }
  boost::filesystem::remove_all(dir);
}

models::ModelSpec resnet18_spec() {
  YAML::Node n = YAML::Load("{type: resnet18, stem: imagenet}");
  config::Section s({{n, "<test>"}}, "model");
  models::ModelSpec m = models::ModelSpec::parse(s);
  s.finish();
  return m;
}

TEST(Safetensors, ModelRoundTripByTorchvisionNames) {
  std::string dir = test::temp_dir("st-model");
  torch::manual_seed(1);
  auto a = resnet18_spec().build({3, 64, 64}, 1000);
  {
    torch::NoGradGuard g;
    for (auto& b : a->named_buffers())
      if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-1, 1);
  }
  NamedTensors t;
  for (const auto& p : a->named_parameters()) t.tensors.emplace_back(p.key(), p.value());
  for (const auto& b : a->named_buffers()) t.tensors.emplace_back(b.key(), b.value());
  // torchvision's first tensors are these names.
  EXPECT_TRUE(find(t, "conv1.weight").defined());
  EXPECT_TRUE(find(t, "layer4.1.bn2.running_var").defined());
  EXPECT_TRUE(find(t, "fc.bias").defined());
  train::write_safetensors(dir + "/m.safetensors", t);
  torch::manual_seed(2);
  auto b = resnet18_spec().build({3, 64, 64}, 1000);
  train::load_model_file(*b, dir + "/m.safetensors");
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  auto ba = a->named_buffers(), bb = b->named_buffers();
  for (const auto& x : ba) EXPECT_TRUE(torch::equal(x.value(), bb[x.key()])) << x.key();

  // A 10-class head does not fit the 1000-class file: the message names the tensor and shapes.
  auto c = resnet18_spec().build({3, 64, 64}, 10);
  try {
    train::load_model_file(*c, dir + "/m.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'fc.weight' has shape [1000, 512] in the file but [10, 512]"),
              std::string::npos)
        << e.what();
  }
  // A missing tensor is named.
  t.tensors.erase(t.tensors.begin());
  train::write_safetensors(dir + "/m2.safetensors", t);
  try {
    train::load_model_file(*b, dir + "/m2.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("has no tensor"), std::string::npos) << e.what();
  }
  boost::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ax
