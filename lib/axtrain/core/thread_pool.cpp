#include "axtrain/core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

namespace ax {

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ThreadPool::parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& body) {
  if (n <= 0) return;
  struct Loop {
    std::atomic<std::int64_t> next{0};
    std::int64_t running = 0;  // runners not yet finished (guarded by mutex)
    std::exception_ptr error;  // first exception (guarded by mutex)
    std::mutex mutex;
    std::condition_variable done;
  };
  auto loop = std::make_shared<Loop>();
  const auto runners = static_cast<std::int64_t>(std::min<std::size_t>(workers_.size(), static_cast<std::size_t>(n)));
  loop->running = runners;
  auto run = [loop, n, &body] {
    std::exception_ptr error;
    for (std::int64_t i; !error && (i = loop->next.fetch_add(1)) < n;) {
      try {
        body(i);
      } catch (...) {
        error = std::current_exception();
        loop->next.store(n);  // stop handing out indices
      }
    }
    std::lock_guard<std::mutex> lock(loop->mutex);
    if (error && !loop->error) loop->error = error;
    if (--loop->running == 0) loop->done.notify_all();
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::int64_t r = 0; r < runners; ++r) tasks_.emplace_back(run);
  }
  wake_.notify_all();
  std::unique_lock<std::mutex> lock(loop->mutex);
  loop->done.wait(lock, [&] { return loop->running == 0; });
  if (loop->error) std::rethrow_exception(loop->error);
}

}  // namespace ax
