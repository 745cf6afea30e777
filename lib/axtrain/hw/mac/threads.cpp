#include "axtrain/hw/mac/threads.h"

#include <chrono>
#include <set>
#include <thread>

#include <dlfcn.h>

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

namespace {
using SetBlasThreads = void (*)(int);
using GetBlasThreads = int (*)();
// Looked up at run time: LibTorch reaches BLAS through Debian's libblas.so.3 alternative, which
// may be OpenBLAS (pthread or OpenMP flavour) or the reference BLAS.
SetBlasThreads blas_set() {
  static auto f = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return f;
}
GetBlasThreads blas_get() {
  static auto f = reinterpret_cast<GetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return f;
}
}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  if (blas_set() && blas_get()) {
    saved_ = blas_get()();
    blas_set()(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) blas_set()(saved_);
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
