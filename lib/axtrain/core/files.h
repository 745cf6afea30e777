// File helpers: atomic, durable writes (temp file, fsync, rename, fsync of the directory) so
// metrics and checkpoints are never torn and a failed write leaves the previous file intact.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace ax {

void write_file_atomic(const std::string& path, const std::string& content);
// Calls write(tmp_path), fsyncs it and renames tmp_path to path when it returns normally; when it
// throws (or the rename fails) the temporary file is removed and the error propagates.
void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write);
// Writes bytes to path (created or truncated) and fsyncs it; IoError naming the path and errno.
void write_bytes(const std::string& path, const void* data, std::size_t size);
std::string read_file(const std::string& path);  // DataError if unreadable
bool file_exists(const std::string& path);
// Creates a directory and its parents. A path that cannot be a directory (a file in the way,
// /dev/null, a name over 255 bytes, no permission) is a UsageError naming it; other failures IoError.
void make_dirs(const std::string& path);
// Removes the temporary files (NAME.tmp.PID) that interrupted atomic writes left in dir; returns
// how many. Only safe while no other process writes there (see core/dir_lock.h).
int remove_stale_temp_files(const std::string& dir);

}  // namespace ax
