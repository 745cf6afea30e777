// An exclusive lock on a directory (a run directory): an fcntl write lock on DIR/.lock, so the
// kernel releases it when the holding process dies, however it dies.
#pragma once
#include <string>

namespace ax {

class DirLock {
 public:
  // Takes the lock without waiting. UsageError naming the directory and the holder's PID when
  // another process holds it; IoError when the lock file cannot be opened. On a file system
  // without fcntl locks (ENOLCK and the like) it warns on stderr and goes on without the lock.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ax
