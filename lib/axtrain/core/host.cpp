#include "axtrain/core/host.h"

#include <sys/resource.h>

#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "axtrain/core/build_info.h"
#include "axtrain/core/git_revision.h"

namespace ax {

std::int64_t peak_rss_bytes() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::int64_t>(u.ru_maxrss) * 1024;
}

std::int64_t cpu_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string torch_version() {
  return fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
}

bool cuda_available() { return torch::cuda::is_available(); }
std::string git_revision() { return AXTRAIN_GIT_REVISION; }
std::string version() { return AXTRAIN_VERSION; }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace ax
