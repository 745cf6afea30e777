// Facts about the machine and build for metrics.json and --version.
#pragma once
#include <cstdint>
#include <string>

namespace ax {

std::int64_t peak_rss_bytes();
std::int64_t cpu_cores();
std::string torch_version();
bool cuda_available();
std::string git_revision();
std::string version();
std::string utc_now();  // ISO 8601

}  // namespace ax
