#include "axtrain/hw/approx_mul/multiplier.h"

#include <fmt/format.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"
#include "axtrain/hw/approx_mul/drum.h"
#include "axtrain/hw/approx_mul/table.h"
#include "axtrain/hw/approx_mul/udm.h"

namespace ax::hw::amul {

Multiplier::Multiplier(int bits) : bits_(bits) {
  if (bits < 1 || bits > 24) throw ConfigError(fmt::format("multiplier width {} is outside 1..24", bits));
}

void Multiplier::decompose(std::uint32_t, std::uint32_t*, int*) const {
  throw std::logic_error("multiplier " + kind() + " has no mantissa/shift form");
}

std::uint64_t Multiplier::max_product() const {
  std::uint64_t m = max_operand();
  return m * m;
}

std::vector<std::uint32_t> Multiplier::tabulate() const {
  if (bits_ > 12) throw std::logic_error("tabulate(): operands wider than 12 bits");
  const std::uint32_t side = max_operand() + 1;
  std::vector<std::uint32_t> t(std::size_t{side} * side);
  for (std::uint32_t a = 0; a < side; ++a)
    for (std::uint32_t b = 0; b < side; ++b)
      t[std::size_t{a} * side + b] = static_cast<std::uint32_t>(multiply(a, b));
  return t;
}

MultiplierSpec MultiplierSpec::parse(config::Section& s) {
  MultiplierSpec m;
  m.type = s.get_choice<std::string>(
      "type", "exact", {{"exact", "exact"}, {"table", "table"}, {"drum", "drum"}, {"udm", "udm"}});
  if (m.type == "table") {
    m.path = s.get_string("path", "");
    if (m.path.empty()) s.fail("path", "a table multiplier needs `path:` (an EvoApprox .txt or TFApprox .bin file)");
    m.format = s.get_choice<std::string>("format", "auto",
                                         {{"auto", "auto"}, {"text", "text"}, {"bin", "bin"}});
    std::string where = s.where("path");
    std::string expanded = expand_env(m.path, where);
    const auto* layer = s.top_layer_with("path");
    m.resolved = config::resolve_config_path(expanded, layer ? layer->file : "");
    try {
      auto t = load_table(m.resolved, m.format);
      m.bits = t->bits();
      m.circuit = t;
    } catch (const DataError& e) {
      throw DataError(fmt::format("{}: {}", where, e.what()));
    }
    return m;
  }
  if (m.type == "exact") {
    m.bits = static_cast<int>(s.get_int("bits", 7, 1, 24));
    m.circuit = std::make_shared<ExactMultiplier>(m.bits);
  } else if (m.type == "drum") {
    m.bits = static_cast<int>(s.get_int("bits", 16, 1, 24));
    m.k = static_cast<int>(s.get_int("k", 8, 1, 24));
    m.circuit = std::make_shared<DrumMultiplier>(m.bits, m.k);
  } else {
    m.bits = static_cast<int>(s.get_int("bits", 8, 2, 16));
    if (m.bits != 2 && m.bits != 4 && m.bits != 8 && m.bits != 16)
      s.fail("bits", fmt::format("udm is composed recursively from 2×2 blocks: bits must be 2, 4, 8 or 16, "
                                 "got {}", m.bits));
    m.circuit = std::make_shared<UdmMultiplier>(m.bits);
  }
  return m;
}

std::vector<OptionRow> MultiplierSpec::rows(const std::string& prefix) {
  return {{prefix + "type", "exact | table | drum | udm", "", "exact", "the circuit"},
          {prefix + "bits", "int", "exact, drum 1..24; udm 2, 4, 8, 16", "7 (drum 16, udm 8; table: the file's)",
           "operand width n (magnitudes 0..2^n − 1)"},
          {prefix + "k", "int", "1..24", "8 (drum only)", "DRUM's kept mantissa bits, the leading one included"},
          {prefix + "path", "path", "", "required (table only)", "an EvoApprox .txt or TFApprox .bin table"},
          {prefix + "format", "auto | text | bin", "", "auto (table only)", "the table's format; auto by extension"}};
}

void MultiplierSpec::dump(YAML::Node& out) const {
  out["type"] = type;
  if (type == "table") {
    out["path"] = path;
    out["format"] = format;
    return;
  }
  out["bits"] = bits;
  if (type == "drum") out["k"] = k;
}

}  // namespace ax::hw::amul
