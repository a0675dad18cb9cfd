#pragma once
// The communication thread of data-parallel training: runs queued reductions one after another,
// in the order they were queued (every rank queues the same ones in the same order, so the
// collectives match), while the thread that queued them goes on computing.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace sinter {

class ReductionThread {
 public:
  ReductionThread();
  // Finishes what is queued, then stops.
  ~ReductionThread();
  ReductionThread(const ReductionThread&) = delete;
  ReductionThread& operator=(const ReductionThread&) = delete;

  void enqueue(std::function<void()> job);
  // Waits until every queued job has run; rethrows the first exception a job threw (the jobs
  // queued after it are dropped: the run cannot go on).
  void wait();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;  // a job is being run
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace sinter
