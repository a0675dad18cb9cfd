#include "core/thread_pool.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <numeric>
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

ThreadPool::ThreadPool(int threads)
    : threads_(threads), shares_(static_cast<size_t>(std::max(threads, 1))) {
  if (threads < 1) throw InputError(cat("thread count must be at least 1, got ", threads));
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::ThreadPool(int threads, Borrowed)
    : threads_(threads), shares_(static_cast<size_t>(threads)) {}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::work(int thread) {
  const int threads = num_threads();
  for (int k = 0; k < threads; ++k) {  // its own share first, then what is left of the others'
    Share& share = shares_[static_cast<size_t>((thread + k) % threads)];
    for (;;) {
      const int64_t i = share.next.fetch_add(1, std::memory_order_relaxed);
      if (i >= share.end) break;
      (*job_)(i, thread);
      remaining_.fetch_sub(1, std::memory_order_release);
    }
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
    // Enter, then look whether the job is still open: the caller closes it before it waits for
    // the workers inside (the same two steps in the other order), so a worker that woke too
    // late leaves without touching the job, and the caller never waits for one that has not
    // started. Both pairs are sequentially consistent: each side's store must precede its load.
    active_.fetch_add(1);
    if (open_.load() == g) work(thread);
    active_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int)>& fn) {
  if (n <= 0) return;
  if (threads_ == 1 || n == 1 || in_parallel_) {
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
  const int threads = num_threads();
  for (int t = 0; t < threads; ++t) {
    Share& share = shares_[static_cast<size_t>(t)];
    share.next.store(n * t / threads, std::memory_order_relaxed);
    share.end = n * (t + 1) / threads;
  }
  remaining_.store(n, std::memory_order_relaxed);
  uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
  if (g == 0) g = 1;  // 0 means no job is open
  open_.store(g, std::memory_order_relaxed);
  generation_.store(g, std::memory_order_release);
  generation_.notify_all();
  work(0);
  // Items a worker claimed may still be running. A worker the OS has not scheduled has claimed
  // none: its share was done here, and it is not waited for (a descheduled vCPU would otherwise
  // stall every layer). After a short spin, yield this core in case it runs the other thread.
  auto wait_for = [](auto done) {
    for (int spins = 0; !done(); ++spins) {
      if (spins < kCallerSpinIterations)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  };
  wait_for([&] { return remaining_.load(std::memory_order_acquire) == 0; });
  open_.store(0);
  wait_for([&] { return active_.load() == 0; });
  in_parallel_ = false;
  if (error) std::rethrow_exception(error);
}

const ThreadPool::Split& ThreadPool::split_for(const std::vector<int>& sizes) {
  auto it = splits_.find(sizes);
  if (it != splits_.end()) return it->second;
  Split split;
  for (int size : sizes)
    split.teams.push_back(std::unique_ptr<ThreadPool>(new ThreadPool(size, Borrowed{})));
  // Threads past the groups' sizes are spread over them.
  const int groups = static_cast<int>(sizes.size());
  for (int g = 0; g < groups; ++g)
    for (int k = 0; k < sizes[g] && static_cast<int>(split.home.size()) < threads_; ++k)
      split.home.push_back(g);
  for (int t = static_cast<int>(split.home.size()); t < threads_; ++t)
    split.home.push_back(t % groups);
  return splits_.emplace(sizes, std::move(split)).first->second;
}

void ThreadPool::serve(int rank) {
  // Once closed, the team's parallel regions are over: a thread that comes late has nothing to do.
  if (!stop_.load()) worker_loop(rank);
}

void ThreadPool::close() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
}

void ThreadPool::run_groups(const std::vector<int>& sizes,
                            const std::function<void(int, ThreadPool&)>& fn) {
  const int groups = static_cast<int>(sizes.size());
  for (int size : sizes)
    if (size < 1) throw InputError(cat("a thread group needs at least 1 thread, got ", size));
  // Nested: several threads may be here at once, so the teams (and the table of splits) are left
  // alone; this pool's regions run serially inside a parallel region anyway.
  if (in_parallel_) {
    for (int g = 0; g < groups; ++g) fn(g, *this);
    return;
  }
  const Split& split = split_for(sizes);
  const auto& teams = split.teams;
  if (threads_ == 1 || (groups == 1 && sizes[0] == 1)) {
    for (int g = 0; g < groups; ++g) fn(g, *teams[g]);
    return;
  }
  // Lent threads serve a team until its turn ends; every one has left when parallel_for returns,
  // since serving is an item of it, so the teams can be reset for the next call here.
  for (auto& team : teams) {
    team->stop_.store(false);
    team->led_.store(false);
    team->joined_.store(1);  // rank 0 is the leader's
  }
  parallel_for(threads_, [&](int64_t slot, int) {
    const int first = split.home[static_cast<size_t>(slot)];
    for (int k = 0; k < groups; ++k) {
      ThreadPool& team = *teams[(first + k) % groups];
      if (team.led_.exchange(true)) continue;
      struct Closer {
        ThreadPool& team;
        ~Closer() { team.close(); }
      } closer{team};
      fn((first + k) % groups, team);
    }
    for (int k = 0; k < groups; ++k) {
      ThreadPool& team = *teams[(first + k) % groups];
      const int rank = team.joined_.fetch_add(1);
      if (rank < team.threads_) {
        team.serve(rank);
        return;
      }
    }
  });
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
