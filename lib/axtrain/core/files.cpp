#include "axtrain/core/files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace fs = boost::filesystem;

namespace ax {

namespace {
std::string errno_text(int e) { return fmt::format("{} (errno {})", std::strerror(e), e); }

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (directory) return;  // best effort: some file systems do not open directories
    throw IoError(fmt::format("cannot open {} to sync it: {}", path, errno_text(errno)));
  }
  int rc = ::fsync(fd), e = errno;
  ::close(fd);
  if (rc != 0 && !(directory && (e == EINVAL || e == EBADF)))
    throw IoError(fmt::format("cannot sync {}: {}", path, errno_text(e)));
}

bool is_temp_name(const std::string& name) {
  auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0 || at + 5 == name.size()) return false;
  return name.find_first_not_of("0123456789", at + 5) == std::string::npos;
}
}  // namespace

void write_bytes(const std::string& path, const void* data, std::size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(fmt::format("cannot create {}: {}", path, errno_text(errno)));
  const char* p = static_cast<const char*>(data);
  std::size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw IoError(fmt::format("cannot write {} ({} of {} bytes written): {}", path, size - left, size,
                                errno_text(e)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw IoError(fmt::format("cannot sync {}: {}", path, errno_text(e)));
  }
  if (::close(fd) != 0) throw IoError(fmt::format("cannot close {}: {}", path, errno_text(errno)));
}

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write) {
  fs::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (p.has_parent_path()) make_dirs(dir);
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  try {
    write(tmp);
    fsync_path(tmp, false);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw IoError(fmt::format("cannot rename {} to {}: {}", tmp, path, errno_text(errno)));
  } catch (...) {
    ::unlink(tmp.c_str());  // the previous file at path stays as it was
    throw;
  }
  fsync_path(dir, true);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_atomic_with(path, [&](const std::string& tmp) { write_bytes(tmp, content.data(), content.size()); });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  boost::system::error_code ec;
  return fs::exists(path, ec);
}

void make_dirs(const std::string& path) {
  boost::system::error_code ec;
  if (fs::is_directory(path, ec)) return;
  fs::create_directories(path, ec);
  if (!ec) return;
  const int e = ec.value();
  std::string msg = fmt::format("cannot create directory {}: {} (errno {})", path, ec.message(), e);
  if (e == ENOTDIR || e == EEXIST || e == ENAMETOOLONG || e == EACCES || e == EPERM || e == EROFS || e == ENOENT ||
      e == ELOOP)
    throw UsageError(msg + "; give an output path where a directory can be made");
  throw IoError(msg);
}

int remove_stale_temp_files(const std::string& dir) {
  boost::system::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_temp_name(it->path().filename().string())) continue;
    boost::system::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace ax
