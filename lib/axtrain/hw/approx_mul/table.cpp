#include "axtrain/hw/approx_mul/table.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace ax::hw::amul {

TableMultiplier::TableMultiplier(int bits, std::vector<std::uint32_t> values, std::string name)
    : Multiplier(bits), values_(std::move(values)), name_(std::move(name)) {
  if (values_.size() != (std::size_t{1} << (2 * bits)))
    throw DataError(fmt::format("table {}: {} values for {}-bit operands (expected {})", name_,
                                values_.size(), bits, std::size_t{1} << (2 * bits)));
  max_ = values_.empty() ? 0 : *std::max_element(values_.begin(), values_.end());
}

namespace {

// "key=value" fields of a header line.
std::string header_field(const std::string& line, const std::string& key) {
  std::istringstream in(line.substr(1));
  std::string tok;
  while (in >> tok) {
    if (tok.rfind(key + "=", 0) == 0) return tok.substr(key.size() + 1);
  }
  return "";
}

int header_bits(const std::string& path, int line_no, const std::string& value) {
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < 1 || v > 8)
    throw DataError(fmt::format("{}:{}: bad operand width '{}' in the header (allowed 1..8)", path,
                                line_no, value));
  return static_cast<int>(v);
}

std::string stem(const std::string& path) { return boost::filesystem::path(path).stem().string(); }

}  // namespace

std::shared_ptr<const TableMultiplier> load_table_text(const std::string& path) {
  std::string text = read_file(path);
  std::istringstream in(text);
  std::string line, name = stem(path);
  int bits = 0, line_no = 0;
  std::vector<std::vector<std::uint32_t>> rows;
  std::vector<int> row_lines;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[0] == '#') {
      if (rows.empty() && bits == 0) {
        std::string ba = header_field(line, "bits_a"), bb = header_field(line, "bits_b");
        if (!ba.empty() || !bb.empty()) {
          int na = header_bits(path, line_no, ba), nb = header_bits(path, line_no, bb);
          if (na != nb)
            throw DataError(fmt::format("{}:{}: bits_a={} and bits_b={} differ; only square tables "
                                        "are supported", path, line_no, na, nb));
          bits = na;
        }
        std::string nm = header_field(line, "name");
        if (!nm.empty()) name = nm;
      }
      continue;
    }
    std::vector<std::uint32_t> row;
    const char* p = line.c_str();
    while (*p) {
      while (*p == ' ' || *p == '\t') ++p;
      if (!*p) break;
      if (*p < '0' || *p > '9') {
        std::string tok(p, std::strcspn(p, " \t"));
        throw DataError(fmt::format("{}:{}: '{}' is not an unsigned integer (value {} of the row)",
                                    path, line_no, tok, row.size() + 1));
      }
      char* end = nullptr;
      unsigned long long v = std::strtoull(p, &end, 10);
      if (*end != '\0' && *end != ' ' && *end != '\t') {
        std::string tok(p, std::strcspn(p, " \t"));
        throw DataError(fmt::format("{}:{}: '{}' is not an unsigned integer (value {} of the row)",
                                    path, line_no, tok, row.size() + 1));
      }
      if (v > 0xFFFFFFFFull)
        throw DataError(fmt::format("{}:{}: value {} is too large", path, line_no, v));
      row.push_back(static_cast<std::uint32_t>(v));
      p = end;
    }
    rows.push_back(std::move(row));
    row_lines.push_back(line_no);
  }
  if (rows.empty()) throw DataError(fmt::format("{}: no table rows found", path));
  if (bits == 0) {
    for (int n = 1; n <= 8; ++n)
      if (rows.size() == (std::size_t{1} << n)) bits = n;
    if (bits == 0)
      throw DataError(fmt::format("{}: {} rows; a table without a header needs 2^n rows, n = 1..8",
                                  path, rows.size()));
  }
  const std::size_t side = std::size_t{1} << bits;
  if (rows.size() != side)
    throw DataError(fmt::format("{}:{}: {} rows, expected {} for {}-bit operands", path,
                                row_lines.back(), rows.size(), side, bits));
  const std::uint64_t max_out = (std::uint64_t{1} << (2 * bits)) - 1;
  std::vector<std::uint32_t> values;
  values.reserve(side * side);
  for (std::size_t a = 0; a < side; ++a) {
    if (rows[a].size() != side)
      throw DataError(fmt::format("{}:{}: row a={} has {} values, expected {}", path, row_lines[a], a,
                                  rows[a].size(), side));
    for (std::size_t b = 0; b < side; ++b) {
      if (rows[a][b] > max_out)
        throw DataError(fmt::format("{}:{}: value {} at a={}, b={} exceeds the {}-bit output range "
                                    "0..{}", path, row_lines[a], rows[a][b], a, b, 2 * bits, max_out));
      values.push_back(rows[a][b]);
    }
  }
  return std::make_shared<TableMultiplier>(bits, std::move(values), name);
}

std::shared_ptr<const TableMultiplier> load_table_bin(const std::string& path) {
  std::string bytes = read_file(path);
  int bits = 0;
  for (int n = 1; n <= 8; ++n)
    if (bytes.size() == 2 * (std::size_t{1} << (2 * n))) bits = n;
  if (bits == 0)
    throw DataError(fmt::format("{}: {} bytes is not a 2^n × 2^n uint16 table (the TFApprox 256×256 "
                                "table has 131072 bytes)", path, bytes.size()));
  const std::size_t count = std::size_t{1} << (2 * bits);
  const std::uint32_t max_out = static_cast<std::uint32_t>((std::uint64_t{1} << (2 * bits)) - 1);
  std::vector<std::uint32_t> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t v = static_cast<unsigned char>(bytes[2 * i]) |
                      (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2 * i + 1])) << 8);
    if (v > max_out)
      throw DataError(fmt::format("{}: value {} at a={}, b={} (byte offset {}) exceeds the {}-bit output "
                                  "range 0..{}", path, v, i >> bits, i & ((std::size_t{1} << bits) - 1),
                                  2 * i, 2 * bits, max_out));
    values[i] = v;
  }
  return std::make_shared<TableMultiplier>(bits, std::move(values), stem(path));
}

std::shared_ptr<const TableMultiplier> load_table(const std::string& path, const std::string& format) {
  if (!file_exists(path)) throw DataError(fmt::format("{}: multiplier table not found", path));
  bool bin = format == "bin" ||
             (format == "auto" && boost::filesystem::path(path).extension().string() == ".bin");
  return bin ? load_table_bin(path) : load_table_text(path);
}

void write_table_text(const std::string& path, const Multiplier& m, const std::string& name,
                      const std::string& source) {
  const std::uint32_t side = m.max_operand() + 1;
  std::string out = fmt::format("# name={} bits_a={} bits_b={} source={}\n", name, m.bits(), m.bits(),
                                source);
  for (std::uint32_t a = 0; a < side; ++a) {
    for (std::uint32_t b = 0; b < side; ++b) {
      out += std::to_string(m.multiply(a, b));
      out += b + 1 < side ? ' ' : '\n';
    }
  }
  write_file_atomic(path, out);
}

void write_table_bin(const std::string& path, const Multiplier& m) {
  if (m.bits() > 8) throw DataError(fmt::format("{}: a .bin table holds at most 8-bit operands", path));
  std::vector<std::uint32_t> t = m.tabulate();
  std::string out(2 * t.size(), '\0');
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > 0xFFFF) throw DataError(fmt::format("{}: value {} does not fit uint16", path, t[i]));
    out[2 * i] = static_cast<char>(t[i] & 0xFF);
    out[2 * i + 1] = static_cast<char>(t[i] >> 8);
  }
  write_file_atomic(path, out);
}

}  // namespace ax::hw::amul
