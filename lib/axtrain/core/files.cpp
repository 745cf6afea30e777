#include "axtrain/core/files.h"

#include <fstream>
#include <sstream>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace fs = boost::filesystem;

namespace ax {

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write) {
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  write(tmp);
  boost::system::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp);
    throw Error(fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
    out.flush();
    if (!out) throw Error(fmt::format("cannot write {}", tmp));
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) { return fs::exists(path); }

void make_dirs(const std::string& path) { fs::create_directories(path); }

}  // namespace ax
