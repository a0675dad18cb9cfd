#include "core/thread_pool.h"

#include "core/error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace sinter {

TEST(ThreadPool, VisitsEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, [&](int64_t i, int t) {
        EXPECT_LT(t, threads);
        hits[i]++;
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, RangesCoverExactly) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(101);
  pool.parallel_range(101, 10, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, RethrowsWorkerException) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100, [](int64_t i, int) {
    if (i == 57) throw Error("boom");
  }), Error);
  int count = 0;
  pool.parallel_for(10, [&](int64_t, int) { __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED); });
  EXPECT_EQ(count, 10);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool pool(0), InputError); }

}  // namespace sinter
