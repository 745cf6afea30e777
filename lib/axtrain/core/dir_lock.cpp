#include "axtrain/core/dir_lock.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax {

DirLock::DirLock(const std::string& dir) {
  const std::string file = dir + "/.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(fmt::format("cannot open lock file {}: {} (errno {})", file, std::strerror(errno), errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd_, F_SETLK, &fl) == 0) return;
  const int e = errno;
  struct flock holder {};
  holder.l_type = F_WRLCK;
  holder.l_whence = SEEK_SET;
  std::string who = "another process";
  if (::fcntl(fd_, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK) who = fmt::format("process {}", holder.l_pid);
  ::close(fd_);
  fd_ = -1;
  if (e == ENOLCK || e == ENOSYS || e == EOPNOTSUPP || e == EINVAL) {
    // a file system without fcntl locks (some network mounts): go on unprotected, and say so
    std::fprintf(stderr, "warning: cannot lock %s (%s); make sure no other process uses %s\n", file.c_str(),
                 std::strerror(e), dir.c_str());
    return;
  }
  if (e == EACCES || e == EAGAIN)
    throw UsageError(fmt::format("{} is in use by {} (lock on {}); wait for it to finish or stop it", dir, who, file));
  throw IoError(fmt::format("cannot lock {}: {} (errno {})", file, std::strerror(e), e));
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace ax
