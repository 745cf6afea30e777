#include "test_util.h"

#include <sys/wait.h>

#include <cstdio>

#include <boost/filesystem.hpp>

namespace ax::test {

std::string temp_dir(const std::string& tag) {
  namespace fs = boost::filesystem;
  fs::path p = fs::temp_directory_path() / fs::unique_path("axtrain-" + tag + "-%%%%%%%%");
  fs::create_directories(p);
  return p.string();
}

CliResult run_cli(const std::string& args) {
  std::string cmd = std::string(AXTRAIN_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace ax::test
