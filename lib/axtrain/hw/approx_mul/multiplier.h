// Unsigned n-bit approximate multipliers: the circuit behind the `approx_mul` hardware model.
//
// A Multiplier maps two magnitudes a (port A) and b (port B), 0 ≤ a, b ≤ 2^n − 1, to an unsigned
// product. Signed operands are handled outside, in sign-magnitude form (see approx_mul.h).
// Kinds (YAML `multiplier: {type: ...}`):
//   exact  a·b                                                     (reference)
//   table  a truth table file (EvoApproxLib text, TFApprox .bin)   (table.h)
//   drum   DRUM(k), Hashemi et al. ICCAD 2015, PAPERS.md §7.4      (drum.h)
//   udm    Kulkarni's underdesigned multiplier, 2×2 block 3×3 = 7  (udm.h)
// Evaluation: operand widths n ≤ 8 are tabulated once (2^n × 2^n); wider DRUM/exact use their
// mantissa/shift form per element, wider UDM a per-pair function.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "axtrain/core/option_row.h"

namespace ax::config {
class Section;
template <class T>
class Options;
}

namespace ax::hw::amul {

class Multiplier {
 public:
  virtual ~Multiplier() = default;
  // Operand width n in bits: magnitudes 0 .. 2^n − 1 on both ports.
  int bits() const { return bits_; }
  std::uint32_t max_operand() const { return static_cast<std::uint32_t>((std::uint64_t{1} << bits_) - 1); }
  virtual std::string kind() const = 0;
  // The circuit's output for a on port A and b on port B (both ≤ max_operand()).
  virtual std::uint64_t multiply(std::uint32_t a, std::uint32_t b) const = 0;
  // Mantissa/shift form (drum, exact): product = (m(a)·m(b)) << (s(a)+s(b)), the same function
  // on both ports. decompose() gives m and s of one operand.
  virtual bool has_shift_form() const { return false; }
  virtual void decompose(std::uint32_t v, std::uint32_t* mantissa, int* shift) const;
  // Largest mantissa decompose() can return (bounds the kernel's intermediate product).
  virtual std::uint32_t max_mantissa() const { return max_operand(); }
  // An upper bound on multiply() over all operand pairs (sizes the accumulator).
  virtual std::uint64_t max_product() const;
  // T[a·2^n + b] = multiply(a, b), row-major, row = port A (n ≤ 12).
  std::vector<std::uint32_t> tabulate() const;

 protected:
  explicit Multiplier(int bits);

 private:
  int bits_;
};

class ExactMultiplier final : public Multiplier {
 public:
  explicit ExactMultiplier(int bits) : Multiplier(bits) {}
  std::string kind() const override { return "exact"; }
  std::uint64_t multiply(std::uint32_t a, std::uint32_t b) const override {
    return std::uint64_t{a} * b;
  }
  bool has_shift_form() const override { return true; }
  void decompose(std::uint32_t v, std::uint32_t* m, int* s) const override { *m = v; *s = 0; }
};

// The `multiplier:` mapping of an approx_mul config, parsed and with its circuit built.
struct MultiplierSpec {
  std::string type = "exact";  // exact | table | drum | udm
  // exact, drum, udm: operand width n in bits (magnitudes 0..2^n−1). exact/drum: 1..24 (AxTrain's
  // DRUM designs are 16-bit; PAPERS.md §7.4); udm: 2, 4, 8 or 16. table: from the file (1..8).
  // Default 7 (exact: the 8-bit signed reference), drum 16, udm 8.
  int bits = 7;
  int k = 8;               // drum: kept mantissa bits incl. the leading one, 1..24, default 8
  std::string path;        // table: file as written (${VAR} expanded on load), required
  std::string resolved;    // table: path after expansion and resolution (not dumped)
  std::string format = "auto";  // table: auto (by extension: .bin → bin) | text | bin
  std::shared_ptr<const Multiplier> circuit;

  // Reads the keys of one `multiplier:` section and builds the circuit (a table is loaded here;
  // DataError names the file and line).
  static const config::Options<MultiplierSpec>& options();
  static MultiplierSpec parse(config::Section& s);
  void dump(YAML::Node& out) const;
  // The keys as the docs show them, each named prefix + key.
  static std::vector<OptionRow> rows(const std::string& prefix);
};

}  // namespace ax::hw::amul
