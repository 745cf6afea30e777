// Truth-table multipliers and their file formats.
//
// Text (EvoApproxLib tables of ../shared/data/multipliers, and what `axtrain lut from-c` writes):
//   # name=<NAME> bits_a=<n> bits_b=<n> source=<...>     (optional header; other '#' lines skipped)
//   2^n lines of 2^n space-separated unsigned integers: line 1+a, column b = output for A=a, B=b
// Without a header n is taken from the number of rows. Values must fit the 2n-bit output.
// Binary (TFApprox style): 2^n × 2^n little-endian uint16, row-major a·2^n + b (row = port A),
// n from the file size (131072 bytes = the 256×256 TFApprox table).
// Tables are not symmetric in general (mul7u_09Y: M(90,17) = 1602, M(17,90) = 1026).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "axtrain/hw/approx_mul/multiplier.h"

namespace ax::hw::amul {

class TableMultiplier final : public Multiplier {
 public:
  // values: row-major 2^bits × 2^bits.
  TableMultiplier(int bits, std::vector<std::uint32_t> values, std::string name);
  std::string kind() const override { return "table"; }
  std::uint64_t multiply(std::uint32_t a, std::uint32_t b) const override {
    return values_[(std::size_t{a} << bits()) + b];
  }
  std::uint64_t max_product() const override { return max_; }
  const std::vector<std::uint32_t>& values() const { return values_; }
  const std::string& name() const { return name_; }

 private:
  std::vector<std::uint32_t> values_;
  std::string name_;
  std::uint64_t max_ = 0;
};

// Loaders: any problem (unreadable, wrong dimensions, bad token, value out of range) is a
// DataError naming the file (and line for text).
std::shared_ptr<const TableMultiplier> load_table_text(const std::string& path);
std::shared_ptr<const TableMultiplier> load_table_bin(const std::string& path);
// format: "auto" (".bin" extension → bin, else text), "text" or "bin".
std::shared_ptr<const TableMultiplier> load_table(const std::string& path, const std::string& format);

// Writers (atomic). `source` goes into the text header.
void write_table_text(const std::string& path, const Multiplier& m, const std::string& name,
                      const std::string& source);
void write_table_bin(const std::string& path, const Multiplier& m);  // n ≤ 8

}  // namespace ax::hw::amul
