#include "dist/reduction_thread.h"

#include <utility>

namespace sinter {

ReductionThread::ReductionThread() : thread_(&ReductionThread::work, this) {}

ReductionThread::~ReductionThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ReductionThread::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  changed_.notify_all();
}

void ReductionThread::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (queue_.empty() && !running_) || error_; });
  if (error_) {
    queue_.clear();
    std::rethrow_exception(std::exchange(error_, nullptr));
  }
}

void ReductionThread::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    const bool skip = error_ != nullptr;  // after a failure the rest is dropped
    lock.unlock();
    std::exception_ptr error;
    try {
      if (!skip) job();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    running_ = false;
    if (error && !error_) error_ = error;
    changed_.notify_all();
  }
}

}  // namespace sinter
