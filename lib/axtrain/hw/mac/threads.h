// Threads of the MAC kernels' parallel loops.
//
// Our kernels parallelise with at::parallel_for, which in LibTorch's OpenMP build is an inline
// template around `#pragma omp parallel`: it runs on the OpenMP runtime *our* objects are linked
// with, and only when they are compiled with -fopenmp (lib/CMakeLists.txt). Debian's LibTorch
// shares the system libgomp with us; the 2.x wheels bring their own copy of libgomp, so
// at::set_num_threads alone would not reach our loops there. set_threads sets both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ax::hw {

// Sets LibTorch's intra-op threads and the OpenMP runtime our loops run on; returns n.
int set_threads(int n);

// Runs an at::parallel_for of `n` iterations (grain 1) from library code and returns, per
// iteration, the id of the thread that ran it (at::get_thread_num()). Shows whether our loops
// really run on the threads that are set (the unit tests, `axtrain --version`).
std::vector<int> parallel_thread_ids(std::int64_t n);

// While alive, BLAS calls run on the calling thread only (OpenBLAS's own thread pool set to 1,
// restored after; a no-op when the BLAS is not OpenBLAS). For kernels that call BLAS from inside
// our parallel loops: the pthread OpenBLAS's threads and the OpenMP threads would otherwise
// wait on each other (measured: a third of an fp64 DRUM layer's time spun in libgomp and
// sched_yield).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int saved_ = 0;
};

// "OpenMP 4.5, N threads" (the runtime our loops use), for --version and metrics.
std::string parallel_description();

}  // namespace ax::hw
