// File helpers: atomic writes (temp file + rename) so metrics and checkpoints are never torn.
#pragma once
#include <functional>
#include <string>

namespace ax {

void write_file_atomic(const std::string& path, const std::string& content);
// Calls write(tmp_path) and renames tmp_path to path when it returns normally.
void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write);
std::string read_file(const std::string& path);  // DataError if unreadable
bool file_exists(const std::string& path);
void make_dirs(const std::string& path);

}  // namespace ax
