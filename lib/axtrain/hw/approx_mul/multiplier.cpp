#include "axtrain/hw/approx_mul/multiplier.h"

#include <fmt/format.h>

#include "axtrain/config/options.h"
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

const config::Options<MultiplierSpec>& MultiplierSpec::options() {
  using M = MultiplierSpec;
  auto table = [](const M& m) { return m.type == "table"; };
  static const auto o =
      config::Options<M>("multiplier")
          .choice<std::string>("type", [](M& m) -> std::string& { return m.type; },
                               {{"exact", "exact"}, {"table", "table"}, {"drum", "drum"}, {"udm", "udm"}}, "the circuit")
          .path("path", [](M& m) -> std::string& { return m.path; },
                "an EvoApprox .txt or TFApprox .bin table; relative paths also against the config's folder")
          .applies_if(table)
          .required("a table multiplier reads its products from a file (an EvoApprox .txt or TFApprox .bin)")
          .choice<std::string>("format", [](M& m) -> std::string& { return m.format; },
                               {{"auto", "auto"}, {"text", "text"}, {"bin", "bin"}},
                               "the table's format; auto by extension (.bin: bin)")
          .applies_if(table)
          .integer("bits", [](M& m) -> int& { return m.bits; }, 1, 24,
                   "operand width n (magnitudes 0..2^n − 1); udm: 2, 4, 8 or 16; table: the file's")
          .applies_if([table](const M& m) { return !table(m); })
          .default_from([](M& m) { m.bits = m.type == "drum" ? 16 : m.type == "udm" ? 8 : 7; })
          .check([](const M& m) {
            return m.type == "udm" && m.bits != 2 && m.bits != 4 && m.bits != 8 && m.bits != 16
                       ? fmt::format("udm is composed recursively from 2×2 blocks: bits must be 2, 4, 8 or 16, got {}",
                                     m.bits)
                       : std::string();
          })
          .integer("k", [](M& m) -> int& { return m.k; }, 1, 24, "DRUM's kept mantissa bits, the leading one included")
          .applies_if([](const M& m) { return m.type == "drum"; });
  return o;
}

MultiplierSpec MultiplierSpec::parse(config::Section& s) {
  MultiplierSpec m;
  options().parse(s, m);
  if (m.type == "table") {
    // `path` was read with ${VAR} expanded; resolve it as config files are.
    std::string where = s.where("path");
    const auto* layer = s.top_layer_with("path");
    m.resolved = config::resolve_config_path(m.path, layer ? layer->file : "");
    m.path = s.raw("path").Scalar();  // dumped as written
    try {
      auto t = load_table(m.resolved, m.format);
      m.bits = t->bits();
      m.circuit = t;
    } catch (const DataError& e) {
      throw DataError(fmt::format("{}: {}", where, e.what()));
    }
  } else if (m.type == "exact") {
    m.circuit = std::make_shared<ExactMultiplier>(m.bits);
  } else if (m.type == "drum") {
    m.circuit = std::make_shared<DrumMultiplier>(m.bits, m.k);
  } else {
    m.circuit = std::make_shared<UdmMultiplier>(m.bits);
  }
  return m;
}

void MultiplierSpec::dump(YAML::Node& out) const { options().dump(*this, out); }

std::vector<OptionRow> MultiplierSpec::rows(const std::string& prefix) {
  std::vector<OptionRow> out = options().rows();
  for (OptionRow& r : out) r.key = prefix + r.key;
  return out;
}

}  // namespace ax::hw::amul
