// Keys declared once (config/options.h): docs/config.md's key tables must list exactly the
// declared keys with the declared defaults; the declarations parse, dump and reject as the docs say.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/config/options.h"
#include "axtrain/core/errors.h"
#include "axtrain/data/spec.h"
#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/ntv/ntv.h"
#include "axtrain/hw/sc/options.h"
#include "axtrain/models/model.h"
#include "axtrain/train/optim.h"
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

// Every registered hardware and storage type with keys: its docs page's "## Options" table
// (docs/hardware/<type>.md; type ntv is ideal arithmetic with ntv storage, the same keys). The row
// counts of the first three pages are pinned as before.
TEST(Options, HardwareDocsAgreeWithTheDeclarations) {
  hw::register_all();
  const std::map<std::string, std::size_t> counts = {
      {"sc", 14},  // 7 keys, 4 under phase, 3 of the operands
      {"ntv", 5},
      {"analog", 11}};
  std::vector<std::pair<std::string, std::vector<config::OptionRow>>> pages;
  for (const std::string& name : hw::hardware_registry().names())
    if (!hw::hardware_registry().keys(name).empty()) pages.emplace_back(name, hw::hardware_registry().keys(name));
  for (const std::string& name : hw::storage_registry().names()) pages.emplace_back(name, hw::storage_registry().keys(name));
  ASSERT_GE(pages.size(), 6u);  // fixed_point, sc, approx_mul, analog, ntv; ntv storage
  for (const auto& [page, rows] : pages) {
    std::ifstream in(std::string(AXTRAIN_TEST_SOURCE_DIR) + "/docs/hardware/" + page + ".md");
    ASSERT_TRUE(in.good()) << "docs/hardware/" << page << ".md is missing";
    std::stringstream md;
    md << in.rdbuf();
    if (counts.count(page)) EXPECT_EQ(rows.size(), counts.at(page)) << page;
    const auto documented = doc_table(md.str(), "Options");
    EXPECT_FALSE(documented.empty()) << "docs/hardware/" << page << ".md has no ## Options table";
    for (const auto& d : disagreements(documented, rows))
      ADD_FAILURE() << "docs/hardware/" << page << ".md, ## Options: " << d;
  }
}

// Every registered dataset, model, optimizer and schedule type with keys has its own section in
// declared_keys (so in docs/config.md), and the sections of all of them are in docs/config.md.
TEST(Options, EveryRegisteredTypeWithKeysHasADocumentedSection) {
  const auto sections = run::declared_keys();
  std::set<std::string> names;
  for (const auto& [section, rows] : sections) names.insert(section);
  auto expect = [&](const std::string& kind, const auto& registry) {
    for (const std::string& name : registry.names())
      EXPECT_EQ(names.count(kind + "[type: " + name + "]"), registry.keys(name).empty() ? 0u : 1u) << kind << " " << name;
  };
  expect("data", data::dataset_registry());
  expect("model", models::model_registry());
  expect("optimizer", train::optimizer_registry());
  expect("schedule", train::schedule_registry());
  EXPECT_TRUE(names.count("data[type: synthetic]"));  // planted: a type known to have keys
  EXPECT_FALSE(names.count("model[type: tinyconv]"));  // and one known to have none
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


// The list and text kinds and `required`: flow-style lists, element ranges, "required" in the docs
// and a precise error when the key is missing.
struct PlantedLists {
  std::vector<std::int64_t> sizes{16, 32};
  std::vector<std::string> files{"a.bin"};
  std::string label = "x";
  std::string root;
};

TEST(Options, ListsTextAndRequiredKeys) {
  using P = PlantedLists;
  const auto o = config::Options<P>("lists")
                     .integers("sizes", [](P& p) -> std::vector<std::int64_t>& { return p.sizes; }, 1, 64, "widths")
                     .texts("files", [](P& p) -> std::vector<std::string>& { return p.files; }, "names")
                     .text("label", [](P& p) -> std::string& { return p.label; }, "a label")
                     .path("root", [](P& p) -> std::string& { return p.root; }, "a directory")
                     .required("the directory of the planted files");
  const auto rows = o.rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fallback, "[16, 32]");
  EXPECT_EQ(rows[0].range, "1..64");
  EXPECT_EQ(rows[1].fallback, "[a.bin]");
  EXPECT_EQ(rows[2].fallback, "x");
  EXPECT_EQ(rows[3].fallback, "required");

  config::Section s({{YAML::Load("{sizes: [8, 4, 2], files: [p, q], label: y, root: /r}"), "<test>"}}, "lists");
  P p;
  o.parse(s, p);
  s.finish();
  EXPECT_EQ(p.sizes, (std::vector<std::int64_t>{8, 4, 2}));
  EXPECT_EQ(p.files, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(p.label, "y");
  YAML::Node n;
  o.dump(p, n);
  YAML::Emitter e;
  e << n;
  EXPECT_EQ(std::string(e.c_str()), "sizes: [8, 4, 2]\nfiles: [p, q]\nlabel: y\nroot: /r");

  for (const char* bad : {"{sizes: [0], root: r}", "{sizes: [65], root: r}", "{sizes: [a], root: r}", "{label: y}"}) {
    config::Section b({{YAML::Load(bad), "<test>"}}, "lists");
    P q;
    EXPECT_THROW(o.parse(b, q), ConfigError) << bad;
  }
  try {
    config::Section b({{YAML::Load("{label: y}"), "cfg.yaml"}}, "lists");
    P q;
    o.parse(b, q);
    ADD_FAILURE() << "a missing required key was accepted";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("lists.root"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("required: the directory of the planted files"), std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace ax
