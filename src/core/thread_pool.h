#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

namespace sinter {

// A fixed-size pool: `threads` counts the calling thread, so ThreadPool(2) starts one worker and
// never runs more than two threads at once. Each thread starts on its own contiguous share of
// the indices, so consecutive parallel regions over the same data (a conv's output channels,
// then the next layer's) give each core the part it wrote itself; a thread that finishes early
// takes the indices left in the others' shares, so uneven items and late threads still balance,
// and a call never waits for a worker that has not started.
// Workers spin briefly before sleeping because inference issues many short parallel regions
// back to back. The pool splits into groups (run_groups) so that independent operators run side
// by side, each on its own team of the pool's threads.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return threads_; }

  // Calls fn(i, thread) for every i in [0, n); `thread` is in [0, num_threads()) and stable for
  // the duration of one call, so it can index per-thread scratch. Returns when all are done.
  // Nested calls from inside fn run serially on the calling thread.
  void parallel_for(int64_t n, const std::function<void(int64_t i, int thread)>& fn);

  // Splits [0, n) into at most num_threads()*chunks_per_thread ranges of at least `grain` items
  // and calls fn(begin, end, thread) for each.
  void parallel_range(int64_t n, int64_t grain,
                      const std::function<void(int64_t begin, int64_t end, int thread)>& fn,
                      int chunks_per_thread = 1);

  // Calls fn(g, team) once for every group g, the groups side by side: team is a pool of
  // sizes[g] threads (its parallel_for runs on that group's threads only). Groups are claimed as
  // parallel_for's items are: each thread leads the groups it finds unclaimed, its own first, and
  // then helps a running team that has room, so a group whose threads have not woken is led by
  // a thread that has, and the call never waits for a thread that has not started. Returns when
  // every group is done; an exception from fn is rethrown here. Nested calls (from inside this
  // pool's parallel regions) run the groups one after another on the calling thread, with this
  // pool, whose regions run serially there, as their team.
  void run_groups(const std::vector<int>& sizes,
                  const std::function<void(int group, ThreadPool& team)>& fn);

 private:
  // A team: a pool without threads of its own, served by threads lent by its parent.
  struct Borrowed {};
  ThreadPool(int threads, Borrowed);
  // The pool split into groups: a team per group, and the group each thread belongs to.
  struct Split {
    std::vector<std::unique_ptr<ThreadPool>> teams;
    std::vector<int> home;
  };
  // Made on first use of its sizes and kept, so running a split allocates nothing.
  const Split& split_for(const std::vector<int>& sizes);
  // A lent thread works for this team as thread `rank` until the team is closed.
  void serve(int rank);
  // Ends the team's turn: threads serving it return to the parent.
  void close();

  void worker_loop(int thread);
  void work(int thread);

  // One thread's share of a job: indices [next, end), claimed from `next` by any thread.
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };

  int threads_;
  std::vector<std::thread> workers_;
  std::vector<Share> shares_;
  std::map<std::vector<int>, Split> splits_;
  // A team's turn within run_groups: whether a thread leads it, and the ranks handed out.
  std::atomic<bool> led_{false};
  std::atomic<int> joined_{0};
  const std::function<void(int64_t, int)>* job_ = nullptr;
  bool in_parallel_ = false;
  // Each counter on its own cache line: workers poll `generation_` while the caller claims
  // items from the shares and waits on `remaining_`, and shared lines would bounce between cores.
  alignas(64) std::atomic<int64_t> remaining_{0};  // items of the job not yet done
  alignas(64) std::atomic<int> active_{0};         // workers inside the job
  alignas(64) std::atomic<uint32_t> open_{0};      // the generation of the open job, or 0
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace sinter
