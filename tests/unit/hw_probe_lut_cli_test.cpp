// `axtrain probe` (run as the built binary, AXTRAIN_BINARY) on tiny JSON examples computed by
// hand, and `axtrain lut from-c` (library and binary) on small C multipliers (skipped without a
// C compiler).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iterator>
#include <functional>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/approx_mul/lut_from_c.h"
#include "axtrain/hw/approx_mul/table.h"
#include "test_util.h"

namespace ax {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Result {
  int rc = -1;
  std::string out;
};

// Runs a shell command (stdout captured; stderr merged when asked).
Result run(const std::string& cmd) {
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A 2-bit table whose entries differ from a·b at (1,3), (3,3) and are asymmetric at (1,2)/(2,1).
const char* kTable2 =
    "# name=hand2 bits_a=2 bits_b=2 source=test\n"
    "0 0 0 0\n"
    "0 1 3 2\n"
    "0 2 4 5\n"
    "0 3 6 7\n";

class ProbeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("probe");
    write(dir_ + "/t2.txt", kTable2);
    write(dir_ + "/hw.yaml", "hardware:\n  type: approx_mul\n  multiplier: {type: table, path: " + dir_ +
                                 "/t2.txt}\n  input: {bits: 3}\n  weight: {bits: 3}\n");
  }
  void TearDown() override { boost::filesystem::remove_all(dir_); }
  std::string probe(const std::string& args) {
    return std::string(AXTRAIN_BINARY) + " probe --hardware " + dir_ + "/hw.yaml " + args;
  }
  std::string dir_;
};

TEST_F(ProbeCli, LinearMatchesHandComputation) {
  write(dir_ + "/x.json", "[[1.5, -1.0, 0.5]]");
  write(dir_ + "/w.json", "[[0.25, 0.5, -0.75], [-0.5, 0.25, 0.5]]");
  Result r = run(probe("--op linear --input " + dir_ + "/x.json --weight " + dir_ + "/w.json --input-scale 0.5 "
                       "--weight-scale 0.25"));
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  // Codes: x = [3, -2, 1]; w = [[1, 2, -3], [-2, 1, 2]].
  EXPECT_EQ(j["input_int"], nlohmann::json::parse("[[3, -2, 1]]"));
  EXPECT_EQ(j["weight_int"], nlohmann::json::parse("[[1, 2, -3], [-2, 1, 2]]"));
  // Row 0: +T[3][1] − T[2][2] − T[1][3] = 3 − 4 − 2 = −3; row 1: −T[3][2] − T[2][1] + T[1][2] = −6 − 2 + 3 = −5.
  EXPECT_EQ(j["exact_int"], nlohmann::json::parse("[[-3, -5]]"));
  EXPECT_NEAR(j["exact"][0][0].get<double>(), -3 * 0.125, 1e-7);
  EXPECT_NEAR(j["exact"][0][1].get<double>(), -5 * 0.125, 1e-7);
  // ideal = quantized here (operands on the grid): 0.375 − 0.5 − 0.375 and −0.75 − 0.25 + 0.25.
  EXPECT_NEAR(j["ideal"][0][0].get<double>(), -0.5, 1e-7);
  EXPECT_NEAR(j["ideal"][0][1].get<double>(), -0.75, 1e-7);
  EXPECT_NEAR(j["quantized"][0][0].get<double>(), -0.5, 1e-7);
  EXPECT_NEAR(j["proxy"][0][1].get<double>(), -0.75, 1e-7);
  EXPECT_DOUBLE_EQ(j["scales"]["input"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["scales"]["weight"].get<double>(), 0.25);
}

TEST_F(ProbeCli, Conv2dMatchesHandComputationAndDefaultScales) {
  // x: 1×1×2×3, w: 1×1×2×2, no padding → 1×1×1×2. Max-abs scales: 3 → s_x = 1, 1.5 → s_w = 0.5.
  write(dir_ + "/x.json", "[[[[1, 2, 3], [0, 1, 2]]]]");
  write(dir_ + "/w.json", "[[[[1.5, 0.5], [-1.0, 0.5]]]]");
  Result r = run(probe("--op conv2d --input " + dir_ + "/x.json --weight " + dir_ + "/w.json"));
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weight_int"], nlohmann::json::parse("[[[[3, 1], [-2, 1]]]]"));
  // Left: T[1][3] + T[2][1] − T[0][2] + T[1][1] = 2 + 2 − 0 + 1 = 5.
  // Right: T[2][3] + T[3][1] − T[1][2] + T[2][1] = 5 + 3 − 3 + 2 = 7.
  EXPECT_EQ(j["exact_int"], nlohmann::json::parse("[[[[5, 7]]]]"));
  EXPECT_NEAR(j["exact"][0][0][0][1].get<double>(), 3.5, 1e-6);
  EXPECT_NEAR(j["ideal"][0][0][0][0].get<double>(), 1.5 + 1.0 - 0.0 + 0.5, 1e-6);
}

// The shipped presets through `axtrain probe`: exact_int equals Σ sign·M(|a|, |w|) computed here
// from the printed integer operands and an independent model of the multiplier — the table file
// read directly for mul7u_09Y, a bit-scan DRUM formula for drum_k4 (16-bit operands).
std::int64_t drum_bitscan(std::int64_t v, int k) {
  int lead = 63 - __builtin_clzll(static_cast<unsigned long long>(v | 1));
  if (v < (std::int64_t{1} << k)) return v;
  int s = lead - k + 1;
  return ((v >> s) | 1) << s;
}

std::vector<std::vector<std::int64_t>> read_table(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::int64_t>> t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    t.emplace_back(std::istream_iterator<std::int64_t>(row), std::istream_iterator<std::int64_t>());
  }
  return t;
}

void check_preset_probe(const std::string& dir, const std::string& preset,
                        const std::function<std::int64_t(std::int64_t, std::int64_t)>& m) {
  // A 2×3×5×5 input (mixed signs) and a 4×3×3×3 weight, padding 1, stride 2.
  std::string x = "[", w = "[";
  for (int n = 0; n < 2; ++n) {
    x += n ? ",[" : "[";
    for (int c = 0; c < 3; ++c) {
      x += c ? ",[" : "[";
      for (int i = 0; i < 5; ++i) {
        x += i ? ",[" : "[";
        for (int j = 0; j < 5; ++j) x += (j ? "," : "") + std::to_string(((n * 37 + c * 11 + i * 7 + j * 5) % 23 - 9) / 7.0);
        x += "]";
      }
      x += "]";
    }
    x += "]";
  }
  x += "]";
  for (int o = 0; o < 4; ++o) {
    w += o ? ",[" : "[";
    for (int c = 0; c < 3; ++c) {
      w += c ? ",[" : "[";
      for (int i = 0; i < 3; ++i) {
        w += i ? ",[" : "[";
        for (int j = 0; j < 3; ++j) w += (j ? "," : "") + std::to_string(((o * 13 + c * 17 + i * 3 + j * 19) % 29 - 14) / 50.0);
        w += "]";
      }
      w += "]";
    }
    w += "]";
  }
  w += "]";
  write(dir + "/px.json", x);
  write(dir + "/pw.json", w);
  Result r = run(std::string(AXTRAIN_BINARY) + " probe --hardware " + test::source_dir() + "/configs/hw/" + preset +
                 " --op conv2d --stride 2 --padding 1 --input " + dir + "/px.json --weight " + dir + "/pw.json");
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  const auto& xi = j["input_int"];
  const auto& wi = j["weight_int"];
  const auto& got = j["exact_int"];
  std::int64_t nonzero = 0;
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 4; ++o)
      for (int oh = 0; oh < 3; ++oh)
        for (int ow = 0; ow < 3; ++ow) {
          std::int64_t sum = 0;
          for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 3; ++i)
              for (int jj = 0; jj < 3; ++jj) {
                int ih = oh * 2 - 1 + i, iw = ow * 2 - 1 + jj;
                if (ih < 0 || ih >= 5 || iw < 0 || iw >= 5) continue;
                std::int64_t a = xi[n][c][ih][iw], b = wi[o][c][i][jj];
                std::int64_t p = m(std::llabs(a), std::llabs(b));
                sum += (a < 0) != (b < 0) ? -p : p;
              }
          ASSERT_EQ(got[n][o][oh][ow].get<std::int64_t>(), sum) << preset << " at " << n << "," << o << "," << oh << "," << ow;
          nonzero += sum != 0;
        }
  EXPECT_GT(nonzero, 30) << preset;
}

TEST_F(ProbeCli, PresetsMul7u09YAndDrumK4ExactIntEqualsIndependentComputation) {
  std::string table = test::shared_dir() + "/data/multipliers/mul7u_09Y.txt";
  if (!boost::filesystem::exists(table)) GTEST_SKIP() << "../shared/data/multipliers absent";
  auto t = read_table(table);
  ASSERT_EQ(t.size(), 128u);
  check_preset_probe(dir_, "mul7u_09Y.yaml", [&](std::int64_t a, std::int64_t w) { return t[a][w]; });  // A = activation
  check_preset_probe(dir_, "drum_k4.yaml",
                     [](std::int64_t a, std::int64_t w) { return drum_bitscan(a, 4) * drum_bitscan(w, 4); });
}

TEST_F(ProbeCli, BadInputsAreDataErrorsNamingTheFile) {
  write(dir_ + "/w.json", "[[1, 2]]");
  write(dir_ + "/bad.json", "[[1, 2], [3]");
  Result r = run(probe("--input " + dir_ + "/bad.json --weight " + dir_ + "/w.json 2>&1"));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("bad.json: invalid JSON"), std::string::npos) << r.out;
  write(dir_ + "/ragged.json", "[[1, 2], [3]]");
  r = run(probe("--input " + dir_ + "/ragged.json --weight " + dir_ + "/w.json 2>&1"));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("ragged.json: element [1]"), std::string::npos) << r.out;
  write(dir_ + "/x3.json", "[[1, 2, 3]]");
  r = run(probe("--input " + dir_ + "/x3.json --weight " + dir_ + "/w.json 2>&1"));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("x3.json"), std::string::npos) << r.out;
}

TEST_F(ProbeCli, WorksForHardwareWithoutIntegerTrace) {
  write(dir_ + "/ideal.yaml", "hardware: {type: ideal}\n");
  write(dir_ + "/x.json", "[[1, 2]]");
  write(dir_ + "/w.json", "[[3, -1]]");
  Result r = run(std::string(AXTRAIN_BINARY) + " probe --hardware " + dir_ + "/ideal.yaml --input " + dir_ +
                 "/x.json --weight " + dir_ + "/w.json");
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["exact"][0][0].get<double>(), 1.0);
  EXPECT_FALSE(j.contains("exact_int"));
}

class LutFromC : public ::testing::Test {
 protected:
  void SetUp() override {
    if (hw::amul::find_on_path("cc").empty()) GTEST_SKIP() << "no C compiler (cc) on PATH";
    dir_ = test::temp_dir("lutc");
  }
  void TearDown() override {
    if (!dir_.empty()) boost::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(LutFromC, ExactAndAsymmetricMultipliersBothSignatures) {
  write(dir_ + "/m.c",
        "#include <stdint.h>\n"
        "uint16_t exact4(uint8_t A, uint8_t B) { return (uint16_t)(A * B); }\n"
        "/* deliberately wrong and asymmetric: +1 when the first argument is larger */\n"
        "uint64_t wrong4(const uint64_t X, const uint64_t Y) { return X * Y + (X > Y ? 1 : 0); }\n");
  hw::amul::LutFromC r{dir_ + "/m.c", "exact4", 4, true, dir_ + "/exact4.txt"};
  hw::amul::lut_from_c(r);
  auto t = hw::amul::load_table_text(dir_ + "/exact4.txt");
  ASSERT_EQ(t->bits(), 4);
  EXPECT_EQ(t->name(), "exact4");
  for (unsigned a = 0; a < 16; ++a)
    for (unsigned b = 0; b < 16; ++b) ASSERT_EQ(t->multiply(a, b), a * b);
  r = {dir_ + "/m.c", "wrong4", 4, true, dir_ + "/ab.txt"};
  hw::amul::lut_from_c(r);
  r = {dir_ + "/m.c", "wrong4", 4, false, dir_ + "/ba.txt"};
  hw::amul::lut_from_c(r);
  auto ab = hw::amul::load_table_text(dir_ + "/ab.txt"), ba = hw::amul::load_table_text(dir_ + "/ba.txt");
  EXPECT_EQ(ab->multiply(5, 3), 16u);  // wrong4(A=5, B=3)
  EXPECT_EQ(ab->multiply(3, 5), 15u);
  EXPECT_EQ(ba->multiply(5, 3), 15u);  // wrong4(B=3, A=5)
  EXPECT_EQ(ba->multiply(3, 5), 16u);
  std::ifstream in(dir_ + "/ab.txt");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("# name=wrong4 bits_a=4 bits_b=4 source=", 0), 0u) << header;
}

TEST_F(LutFromC, CompilerErrorsAndOverflowAreReported) {
  write(dir_ + "/broken.c", "int broken(int a, int b) { return a * ; }\n");
  try {
    hw::amul::lut_from_c({dir_ + "/broken.c", "broken", 3, true, dir_ + "/x.txt"});
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("broken.c"), std::string::npos) << m;
    EXPECT_NE(m.find("error"), std::string::npos) << m;  // the compiler's own message
  }
  write(dir_ + "/big.c", "unsigned big(unsigned a, unsigned b) { return a * b + 64; }\n");
  EXPECT_THROW(hw::amul::lut_from_c({dir_ + "/big.c", "big", 3, true, dir_ + "/y.txt"}), DataError);
  EXPECT_FALSE(boost::filesystem::exists(dir_ + "/y.txt"));
  EXPECT_THROW(hw::amul::lut_from_c({dir_ + "/big.c", "not an identifier", 3, true, dir_ + "/y.txt"}), UsageError);
}

TEST_F(LutFromC, CommandLine) {
  write(dir_ + "/m.c", "unsigned char m2(unsigned char a, unsigned char b) { return a == 3 && b == 3 ? 7 : a * b; }\n");
  Result r = run(std::string(AXTRAIN_BINARY) + " lut from-c " + dir_ + "/m.c --function m2 --bits 2 --out " + dir_ +
                 "/m2.txt --signature ba 2>&1");
  ASSERT_EQ(r.rc, 0) << r.out;
  auto t = hw::amul::load_table_text(dir_ + "/m2.txt");
  EXPECT_EQ(t->multiply(3, 3), 7u);
  EXPECT_EQ(t->multiply(2, 3), 6u);
}

}  // namespace
}  // namespace ax
