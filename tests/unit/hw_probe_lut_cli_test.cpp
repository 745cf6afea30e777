// `axtrain probe` (run as the built binary, AXTRAIN_BINARY) on tiny JSON examples computed by
// hand, and `axtrain lut from-c` (library and binary) on small C multipliers (skipped without a
// C compiler).
#include <cstdio>
#include <fstream>

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
