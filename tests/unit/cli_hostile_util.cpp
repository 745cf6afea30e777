#include "cli_hostile_util.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/filesystem.hpp>

namespace ax::test {

Result run_limited(const std::string& args, int seconds, const std::string& prefix) {
  // `timeout` sends SIGKILL, so a hang shows as 137; the shell turns a crash into 128+signal.
  std::string cmd = "sh -c '" + prefix + " exec timeout -s KILL " + std::to_string(seconds) + " " + AXTRAIN_BINARY +
                    " \"$@\"' axtrain " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

bool exists(const std::string& path) { return boost::filesystem::exists(path); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> out;
  for (boost::filesystem::directory_iterator it(dir), end; it != end; ++it)
    if (it->path().filename().string().find(".tmp.") != std::string::npos) out.push_back(it->path().string());
  return out;
}

std::string run_dir_of_output(const std::string& out) {
  std::string first = out.substr(0, out.find('\n'));
  return first.substr(0, first.rfind('/'));
}

void expect_bad_input(const Result& r, const std::string& must_contain) {
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(must_contain), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
}

}  // namespace ax::test
