#include "test_util.h"

#include <boost/filesystem.hpp>

namespace ax::test {

std::string temp_dir(const std::string& tag) {
  namespace fs = boost::filesystem;
  fs::path p = fs::temp_directory_path() / fs::unique_path("axtrain-" + tag + "-%%%%%%%%");
  fs::create_directories(p);
  return p.string();
}

}  // namespace ax::test
