// Helpers of the hostile-user CLI tests (issue 18): run the binary under a time limit (and, for a
// full disk, a file size limit), inspect run directories.
#pragma once
#include <string>
#include <vector>

#include "test_util.h"

namespace ax::test {

struct Result {
  int code;  // exit status; 128+N when killed by signal N (the shell reports it so)
  std::string out;
};
// `axtrain ARGS` (shell words) killed after `seconds`; `prefix` runs in the same shell before it
// (e.g. `ulimit -f 40; trap "" XFSZ;`; no single quotes in it).
Result run_limited(const std::string& args, int seconds, const std::string& prefix = "");
bool exists(const std::string& path);
std::string slurp(const std::string& path);
void spit(const std::string& path, const std::string& bytes);
// Files in dir whose name contains ".tmp."
std::vector<std::string> temp_files(const std::string& dir);
// Exit 2 with a message that contains must_contain, and no "internal error".
void expect_bad_input(const Result& r, const std::string& must_contain);
// The run directory a `run` printed (its first output line is DIR/metrics.json).
std::string run_dir_of_output(const std::string& out);

}  // namespace ax::test
