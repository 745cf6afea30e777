// ThreadPool: a fixed set of worker threads running index loops (parallel_for). Any number of
// threads may call parallel_for at once; the caller blocks until its loop is done and gets the
// first exception thrown by its loop body rethrown.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ax {

class ThreadPool {
 public:
  // threads = 0: one per hardware thread.
  explicit ThreadPool(std::size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t size() const { return workers_.size(); }
  // Runs body(i) for i in [0, n) on the workers (each index exactly once, in no fixed order).
  void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& body);

 private:
  void work();
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> tasks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

}  // namespace ax
