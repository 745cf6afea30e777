#include "axtrain/hw/mac/threads.h"

#include <chrono>
#include <set>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace ax::hw {

int set_threads(int n) {
  at::set_num_threads(n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  return n;
}

std::vector<int> parallel_thread_ids(std::int64_t n) {
  std::vector<int> ids(static_cast<std::size_t>(n), -1);
  at::parallel_for(0, n, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) ids[static_cast<std::size_t>(i)] = at::get_thread_num();
    // Long enough that one thread cannot take every chunk before the others start.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  return ids;
}

std::string parallel_description() {
  std::set<int> distinct;
  for (int id : parallel_thread_ids(4 * at::get_num_threads())) distinct.insert(id);
#ifdef _OPENMP
  const std::string rt = fmt::format("OpenMP {}", _OPENMP);
#else
  const std::string rt = "no OpenMP (serial loops)";
#endif
  return fmt::format("{}, parallel loops on {} of {} threads", rt, distinct.size(), at::get_num_threads());
}

}  // namespace ax::hw
