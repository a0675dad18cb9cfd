#include "core/thread_pool.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace sinter {

namespace {
constexpr int kSpinIterations = 20000;
// The caller has done its share when it waits, so it gives way sooner than an idle worker.
constexpr int kCallerSpinIterations = 2000;

inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) throw InputError(cat("thread count must be at least 1, got ", threads));
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::work(int thread) {
  for (;;) {
    int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_size_) break;
    (*job_)(i, thread);
  }
}

void ThreadPool::worker_loop(int thread) {
  uint32_t seen = 0;
  for (;;) {
    int spins = 0;
    uint32_t g;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpinIterations) {
        cpu_relax();
      } else {
        generation_.wait(seen);
      }
    }
    seen = g;
    if (stop_.load()) return;
    work(thread);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1 || in_parallel_) {
    for (int64_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  // Exceptions thrown on a worker cannot cross threads; capture the first and rethrow here.
  std::exception_ptr error;
  std::mutex error_mutex;
  std::function<void(int64_t, int)> guarded = [&](int64_t i, int t) {
    try {
      fn(i, t);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  in_parallel_ = true;
  job_ = &guarded;
  job_size_ = n;
  next_.store(0, std::memory_order_relaxed);
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  work(0);
  // A worker the OS has not scheduled yet keeps the job open; after a short spin, give it this
  // core rather than burn the time slice it needs (matters whenever cores are shared).
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < kCallerSpinIterations)
      cpu_relax();
    else
      std::this_thread::yield();
  }
  in_parallel_ = false;
  if (error) std::rethrow_exception(error);
}

void ThreadPool::parallel_range(int64_t n, int64_t grain,
                                const std::function<void(int64_t, int64_t, int)>& fn,
                                int chunks_per_thread) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = std::min<int64_t>(static_cast<int64_t>(num_threads()) * chunks_per_thread,
                                     (n + grain - 1) / grain);
  chunks = std::max<int64_t>(chunks, 1);
  int64_t per = n / chunks, extra = n % chunks;
  parallel_for(chunks, [&](int64_t c, int t) {
    int64_t begin = c * per + std::min(c, extra);
    int64_t end = begin + per + (c < extra ? 1 : 0);
    fn(begin, end, t);
  });
}

}  // namespace sinter
