#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace sinter {

// A fixed-size pool: `threads` counts the calling thread, so ThreadPool(2) starts one worker and
// never runs more than two threads at once. Work is handed out in indices claimed from an atomic
// counter, so uneven items balance themselves. Workers spin briefly before sleeping because
// inference issues many short parallel regions back to back.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i, thread) for every i in [0, n); `thread` is in [0, num_threads()) and stable for
  // the duration of one call, so it can index per-thread scratch. Returns when all are done.
  // Nested calls from inside fn run serially on the calling thread.
  void parallel_for(int64_t n, const std::function<void(int64_t i, int thread)>& fn);

  // Splits [0, n) into at most num_threads()*chunks_per_thread ranges of at least `grain` items
  // and calls fn(begin, end, thread) for each.
  void parallel_range(int64_t n, int64_t grain,
                      const std::function<void(int64_t begin, int64_t end, int thread)>& fn,
                      int chunks_per_thread = 1);

 private:
  void worker_loop(int thread);
  void work(int thread);

  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t job_size_ = 0;
  bool in_parallel_ = false;
  // Each counter on its own cache line: workers poll `generation_` while the caller claims
  // items from `next_` and waits on `pending_`, and shared lines would bounce between cores.
  alignas(64) std::atomic<int64_t> next_{0};
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace sinter
