#include "runtime/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace sinter {

// No two buffers alive at the same step may overlap in the arena.
void expect_valid(const std::vector<BufferLifetime>& bufs, const MemoryPlan& plan) {
  for (size_t i = 0; i < bufs.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + bufs[i].bytes, plan.arena_bytes);
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      bool live_together =
          !(bufs[i].last_step < bufs[j].first_step || bufs[j].last_step < bufs[i].first_step);
      bool overlap = plan.offsets[i] < plan.offsets[j] + bufs[j].bytes &&
                     plan.offsets[j] < plan.offsets[i] + bufs[i].bytes;
      EXPECT_FALSE(live_together && overlap && bufs[i].bytes && bufs[j].bytes) << i << " " << j;
    }
  }
}

TEST(MemoryPlanner, ChainReusesTwoBuffers) {
  // A chain a->b->c->d: each buffer is read by the next step only.
  std::vector<BufferLifetime> bufs;
  for (int s = 0; s < 10; ++s) bufs.push_back({1000, s, s + 1});
  MemoryPlan plan = plan_memory(bufs);
  expect_valid(bufs, plan);
  EXPECT_EQ(plan.arena_bytes, 2 * 1024u);
  EXPECT_EQ(peak_live_bytes(bufs), 2 * 1024u);
}

TEST(MemoryPlanner, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferLifetime> bufs;
    for (int i = 0; i < 40; ++i) {
      int first = static_cast<int>(rng() % 30);
      bufs.push_back({rng() % 5000, first, first + static_cast<int>(rng() % 6)});
    }
    MemoryPlan plan = plan_memory(bufs);
    expect_valid(bufs, plan);
    EXPECT_GE(plan.arena_bytes, peak_live_bytes(bufs));
    EXPECT_LE(plan.arena_bytes, plan.naive_bytes);
  }
}

}  // namespace sinter
