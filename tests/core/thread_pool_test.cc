#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/error.h"

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
  EXPECT_THROW(pool.parallel_for(100,
                                 [](int64_t i, int) {
                                   if (i == 57) throw Error("boom");
                                 }),
               Error);
  int count = 0;
  pool.parallel_for(10, [&](int64_t, int) { __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED); });
  EXPECT_EQ(count, 10);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool pool(0), InputError); }

TEST(ThreadPool, RunsEveryGroupOnceOnATeamOfItsSize) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (const std::vector<int>& sizes :
         std::vector<std::vector<int>>{{1}, {1, 1}, {2}, {1, 2}, {2, 2}, {3, 1}, {1, 1, 1, 1, 1}}) {
      std::vector<std::atomic<int>> runs(sizes.size());
      std::vector<std::vector<std::atomic<int>>> hits(sizes.size());
      for (auto& h : hits) h = std::vector<std::atomic<int>>(97);
      for (int rep = 0; rep < 20; ++rep)
        pool.run_groups(sizes, [&](int g, ThreadPool& team) {
          runs[g]++;
          EXPECT_EQ(team.num_threads(), sizes[g]);
          team.parallel_for(97, [&](int64_t i, int t) {
            EXPECT_LT(t, sizes[g]);
            hits[g][i]++;
          });
        });
      for (size_t g = 0; g < sizes.size(); ++g) {
        EXPECT_EQ(runs[g].load(), 20);
        for (auto& h : hits[g]) EXPECT_EQ(h.load(), 20);
      }
    }
  }
}

TEST(ThreadPool, GroupsRunSideBySideWhenThreadsAreThere) {
  // Each group waits a while for the other to start: with two threads they overlap (unless the
  // host never schedules the worker, when the caller runs both in turn and nothing hangs).
  ThreadPool pool(2);
  int overlapped = 0;
  for (int rep = 0; rep < 20; ++rep) {
    std::atomic<int> started{0};
    std::atomic<bool> saw_other{false};
    pool.run_groups({1, 1}, [&](int, ThreadPool&) {
      if (started.fetch_add(1) != 0) return;  // the second to start
      for (int spin = 0; spin < 20000000 && started.load() < 2; ++spin) {
      }
      saw_other = started.load() == 2;
    });
    overlapped += saw_other.load();
  }
  EXPECT_GT(overlapped, 0);
}

TEST(ThreadPool, RethrowsGroupExceptionAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.run_groups({1, 1},
                               [](int g, ThreadPool&) {
                                 if (g == 1) throw Error("boom");
                               }),
               Error);
  std::atomic<int> count{0};
  pool.run_groups({1, 1}, [&](int, ThreadPool& team) {
    team.parallel_for(10, [&](int64_t, int) { count++; });
  });
  EXPECT_EQ(count.load(), 20);
}

TEST(ThreadPool, NestedGroupsRunInTurn) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.parallel_for(4, [&](int64_t, int) {
    pool.run_groups({1, 1}, [&](int, ThreadPool&) { count++; });
  });
  EXPECT_EQ(count.load(), 8);
}

TEST(ThreadPool, RejectsAnEmptyGroup) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.run_groups({1, 0}, [](int, ThreadPool&) {}), InputError);
}

}  // namespace sinter
