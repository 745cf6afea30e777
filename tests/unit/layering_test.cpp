// The library's folders form layers (README, "Layout"): a file may include its own folder and the
// folders below it, never one above it or one beside it on the same level. The order is written
// here once; a new folder must be placed in it, or this test fails.
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>
#include <gtest/gtest.h>

namespace ax {
namespace {

namespace fs = boost::filesystem;

// Ground up; folders on one line share a level (and must not include each other).
const std::vector<std::vector<std::string>> kLayers = {
    {"core"}, {"dist"}, {"config"}, {"data", "inject"}, {"hw"}, {"layers"}, {"models"}, {"train"},
    {"eval", "bench"}, {"report"}, {"run"}, {"experiment"}};

std::map<std::string, int> levels() {
  std::map<std::string, int> m;
  for (std::size_t i = 0; i < kLayers.size(); ++i)
    for (const auto& f : kLayers[i]) m[f] = static_cast<int>(i);
  return m;
}

// Violations in one file's text: "line N: includes <folder>/… (level a) from <folder> (level b)".
std::vector<std::string> violations(const std::string& folder, const std::string& text) {
  static const std::regex include(R"re(^\s*#\s*include\s*["<]axtrain/([A-Za-z0-9_]+)/)re");
  const auto lv = levels();
  std::vector<std::string> out;
  auto own = lv.find(folder);
  if (own == lv.end()) return {"the folder is not in the layer order of tests/unit/layering_test.cpp"};
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, include)) continue;
    const std::string dst = m[1];
    if (dst == folder) continue;
    auto it = lv.find(dst);
    if (it == lv.end() || it->second >= own->second)
      out.push_back("line " + std::to_string(n) + ": includes " + dst + "/ " +
                    (it == lv.end() ? "(not a layer)" : it->second == own->second ? "(same level)" : "(a layer above)"));
  }
  return out;
}

TEST(Layering, TheCheckSeesAnIncludeOfAFolderAboveOrBeside) {
  EXPECT_TRUE(violations("hw", "#include \"axtrain/core/errors.h\"\n#include \"axtrain/hw/spec.h\"\n").empty());
  EXPECT_EQ(violations("train", "#include <vector>\n#include \"axtrain/run/runner.h\"\n").size(), 1u);
  EXPECT_EQ(violations("data", "  #  include \"axtrain/inject/error_model.h\"\n").size(), 1u);
  EXPECT_EQ(violations("config", "#include <axtrain/models/model.h>\n").size(), 1u);
  EXPECT_EQ(violations("nowhere", "").size(), 1u);
}

TEST(Layering, NoLibraryFileIncludesAFolderAboveItsOwn) {
  const fs::path root = fs::path(AXTRAIN_TEST_SOURCE_DIR) / "lib" / "axtrain";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  std::size_t files = 0;
  for (fs::directory_iterator d(root), end; d != end; ++d) {
    if (!fs::is_directory(d->path())) continue;
    const std::string folder = d->path().filename().string();
    for (fs::recursive_directory_iterator f(d->path()), fend; f != fend; ++f) {
      const std::string ext = f->path().extension().string();
      if (!fs::is_regular_file(f->path()) || (ext != ".h" && ext != ".cpp" && ext != ".in")) continue;
      std::ifstream in(f->path().string());
      std::stringstream text;
      text << in.rdbuf();
      ++files;
      for (const auto& v : violations(folder, text.str()))
        ADD_FAILURE() << fs::relative(f->path(), root.parent_path().parent_path()).string() << " " << v;
    }
  }
  EXPECT_GT(files, 100u);
}

}  // namespace
}  // namespace ax
