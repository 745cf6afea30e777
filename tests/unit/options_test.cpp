// Keys declared once (config/options.h): docs/config.md's key tables must list exactly the
// declared keys with the declared defaults; the declarations parse, dump and reject as the docs say.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/config/options.h"
#include "axtrain/core/errors.h"
#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/ntv/ntv.h"
#include "axtrain/hw/sc/options.h"
#include "axtrain/run/run_config.h"

namespace ax {
namespace {

// Key → the "default" column of the table under "## <section>" or "### <section>" (rows whose
// first cell is one `key`; the column found by its header).
std::map<std::string, std::string> doc_table(const std::string& markdown, const std::string& section) {
  std::map<std::string, std::string> rows;
  std::istringstream in(markdown);
  std::string line;
  bool inside = false;
  std::size_t column = 2;
  auto split = [](const std::string& row) {
    std::vector<std::string> cells;
    std::string cell;
    bool code = false;
    for (std::size_t i = 1; i < row.size(); ++i) {
      const char ch = row[i];
      if (ch == '`') code = !code;
      if (ch == '|' && !code && row[i - 1] != '\\') {
        cell.erase(0, cell.find_first_not_of(' '));
        cell.erase(cell.find_last_not_of(' ') + 1);
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += ch;
      }
    }
    return cells;
  };
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0) {
      inside = line == "## " + section || line == "### " + section;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("| key", 0) == 0) {
      const auto header = split(line);
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == "default") column = i;
      continue;
    }
    if (line.rfind("| `", 0) != 0) continue;
    const auto cells = split(line);
    if (cells.size() <= column) continue;
    const std::string& key = cells[0];
    if (key.size() < 3 || key.front() != '`' || key.back() != '`' || key.find('`', 1) != key.size() - 1) continue;
    rows[key.substr(1, key.size() - 2)] = cells[column];
  }
  return rows;
}

// Disagreements between a docs table and the declared rows. A documented default is the declared
// one, optionally followed by a parenthesised note ("or (bipolar: count)" for a dependent default).
std::vector<std::string> disagreements(const std::map<std::string, std::string>& docs,
                                       const std::vector<config::OptionRow>& declared) {
  std::vector<std::string> out;
  std::map<std::string, std::string> want;
  for (const auto& r : declared) want[r.key] = r.fallback;
  for (const auto& [k, v] : want) {
    auto it = docs.find(k);
    if (it == docs.end()) out.push_back("key `" + k + "` is declared but not documented");
    else if (it->second != v && it->second.rfind(v + " (", 0) != 0) out.push_back("key `" + k + "`: docs say default " + it->second + ", the declaration " + v);
  }
  for (const auto& [k, v] : docs)
    if (!want.count(k)) out.push_back("key `" + k + "` is documented but not declared");
  return out;
}

TEST(Options, TheDocsCheckSeesAMissingKeyAWrongDefaultAndAnExtraKey) {
  const std::string md =
      "## eval\n\n| key | range | default | meaning |\n|---|---|---|---|\n"
      "| `every` | ≥ 1 | 2 | x \\| y |\n| `mode` | a \\| b | exact | m |\n| `extra` | | 0 | |\n\n## output\n| `dir` | | r | |\n"
      "### five\n| key | unit | range | default | meaning |\n| `k` | s | 1..2 | 7 | m |\n";
  EXPECT_EQ(doc_table(md, "five").at("k"), "7");  // the default column found by its header
  const auto docs = doc_table(md, "eval");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs.at("mode"), "exact");
  std::vector<config::OptionRow> declared = {{"every", "int", "", "1", ""}, {"mode", "", "", "exact", ""},
                                             {"repeats", "int", "", "1", ""}};
  EXPECT_EQ(disagreements(docs, declared).size(), 3u);  // every's default, repeats missing, extra
}

TEST(Options, DocsConfigMdAgreesWithTheDeclarations) {
  std::ifstream in(std::string(AXTRAIN_TEST_SOURCE_DIR) + "/docs/config.md");
  ASSERT_TRUE(in.good());
  std::stringstream md;
  md << in.rdbuf();
  const auto sections = run::declared_keys();
  ASSERT_GE(sections.size(), 4u);
  for (const auto& [section, rows] : sections) {
    ASSERT_FALSE(rows.empty()) << section;
    for (const auto& d : disagreements(doc_table(md.str(), section), rows))
      ADD_FAILURE() << "docs/config.md, section " << section << ": " << d;
  }
}

// The hardware types declared with Options: their docs page's "## Options" table.
TEST(Options, HardwareDocsAgreeWithTheDeclarations) {
  const std::vector<std::tuple<std::string, std::vector<config::OptionRow>, std::size_t>> pages = {
      {"sc", hw::sc::ScOptions::options().rows(), 14},  // 7 keys, 4 under phase, 3 of the operands
      {"ntv", hw::NtvStorageOptions::options().rows(), 5},
      {"analog", hw::AnalogOptions::options().rows(), 11}};
  for (const auto& [page, rows, count] : pages) {
    std::ifstream in(std::string(AXTRAIN_TEST_SOURCE_DIR) + "/docs/hardware/" + page + ".md");
    ASSERT_TRUE(in.good()) << page;
    std::stringstream md;
    md << in.rdbuf();
    ASSERT_EQ(rows.size(), count) << page;
    for (const auto& d : disagreements(doc_table(md.str(), "Options"), rows))
      ADD_FAILURE() << "docs/hardware/" << page << ".md, ## Options: " << d;
  }
}

// sc's dependent defaults and rules, through the declaration: bipolar counts and is linear
// unless told otherwise; bipolar with OR, count with sc_act, L = 48 fail naming the key.
TEST(Options, ScDependentDefaultsAndRules) {
  auto parse = [](const std::string& yaml) {
    YAML::Node n = YAML::Load(yaml);
    config::Section s({{n, "<test>"}}, "hardware");
    hw::sc::ScOptions o;
    hw::sc::ScOptions::options().parse(s, o);
    s.finish();
    return o;
  };
  const hw::sc::ScOptions uni = parse("{}"), bi = parse("{encoding: bipolar, stream_length: 64}");
  EXPECT_EQ(uni.accumulate, hw::sc::Accumulate::Or);
  EXPECT_EQ(uni.proxy, hw::sc::ProxyKind::ScAct);
  EXPECT_EQ(bi.accumulate, hw::sc::Accumulate::Count);
  EXPECT_EQ(bi.proxy, hw::sc::ProxyKind::Linear);
  EXPECT_DOUBLE_EQ(bi.input.fixed_scale, 1.0 / 64);  // the operand default follows stream_length
  EXPECT_EQ(parse("{accumulate: count}").proxy, hw::sc::ProxyKind::Linear);
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"{encoding: bipolar, accumulate: or}", "accumulate"},
           {"{accumulate: count, proxy: sc_act}", "proxy"},
           {"{stream_length: 48}", "stream_length"}}) {
    try {
      parse(yaml);
      ADD_FAILURE() << yaml << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("hardware." + key), std::string::npos) << e.what();
    }
  }
}

struct Planted {
  std::int64_t count = 3;
  double rate = 0.25;
  enum class Shape { Round, Square } shape = Shape::Square;
  std::string where = "here";
};

config::Options<Planted> planted() {
  return config::Options<Planted>("planted")
      .integer("count", [](Planted& p) -> std::int64_t& { return p.count; }, 1, 10, "how many")
      .choice<Planted::Shape>("shape", [](Planted& p) -> Planted::Shape& { return p.shape; },
                              {{"round", Planted::Shape::Round}, {"square", Planted::Shape::Square}}, "form")
      .number("rate", [](Planted& p) -> double& { return p.rate; }, 0.0, 0.999, "a fraction")
      .path("where", [](Planted& p) -> std::string& { return p.where; }, "a place")
      .dump_only_if([](const Planted& p) { return p.shape == Planted::Shape::Round; });
}

TEST(Options, ParseDumpAndRowsOfAPlantedDeclaration) {
  const auto o = planted();
  const auto rows = o.rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].key, "count");
  EXPECT_EQ(rows[0].fallback, "3");
  EXPECT_EQ(rows[0].range, "1..10");
  EXPECT_EQ(rows[1].type, "round | square");
  EXPECT_EQ(rows[1].fallback, "square");
  EXPECT_EQ(rows[2].fallback, "0.25");
  EXPECT_EQ(rows[2].range, "[0, 0.999]");
  EXPECT_EQ(rows[3].fallback, "here");

  config::Section s({{YAML::Load("{count: 7, shape: round, where: there}"), "<test>"}}, "planted");
  Planted p;
  o.parse(s, p);
  s.finish();
  EXPECT_EQ(p.count, 7);
  EXPECT_EQ(p.shape, Planted::Shape::Round);
  EXPECT_DOUBLE_EQ(p.rate, 0.25);  // absent: the member's default
  EXPECT_EQ(p.where, "there");
  YAML::Node n;
  o.dump(p, n);
  EXPECT_EQ(n["count"].as<int>(), 7);
  EXPECT_EQ(n["shape"].as<std::string>(), "round");
  EXPECT_EQ(n["where"].as<std::string>(), "there");
  // Dump order = declaration order.
  std::vector<std::string> keys;
  for (const auto& kv : n) keys.push_back(kv.first.as<std::string>());
  EXPECT_EQ(keys, (std::vector<std::string>{"count", "shape", "rate", "where"}));
  YAML::Node square;
  o.dump(Planted{}, square);
  EXPECT_FALSE(square["where"]);  // dump_only_if

  for (const char* bad : {"{count: 11}", "{shape: oval}", "{rate: 1.5}", "{count: 2.5}"}) {
    config::Section b({{YAML::Load(bad), "<test>"}}, "planted");
    Planted q;
    EXPECT_THROW(o.parse(b, q), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace ax
