// The emulated links: the link arithmetic by hand-worked cases, the specs, and a ring all-reduce
// on every rank whose emulated time is what the link model says.
#include "dist/link_emulator.h"

#include <gtest/gtest.h>
#include <time.h>

#include <vector>

#include "dist/ring_allreduce.h"
#include "world.h"

namespace sinter {
namespace {

TEST(LinkEmulator, MessagesQueueOnTheirLinks) {
  LinkEmulator e({"test", 1e-3, 1e6}, 1.0, false);  // 1 ms, 1 MB/s
  // Two sends at time 0: the second leaves when the first has (1 s for 1 MB).
  EXPECT_DOUBLE_EQ(e.depart(0.0, 1000000), 0.0);
  EXPECT_DOUBLE_EQ(e.depart(0.0, 1000000), 1.0);
  // A message that left at 0 arrives after latency plus transfer; the next one queues behind.
  EXPECT_DOUBLE_EQ(e.arrive(0.0, 500000), 0.501);
  EXPECT_DOUBLE_EQ(e.arrive(0.0, 500000), 1.001);
  EXPECT_DOUBLE_EQ(e.arrive(5.0, 0), 5.001);
  // A ring all-reduce over 4 ranks: 6 steps of a quarter of the buffer.
  EXPECT_DOUBLE_EQ(e.allreduce_done(2.0, 4000000, 4), 2.0 + 6 * (1e-3 + 1.0));
  EXPECT_DOUBLE_EQ(e.broadcast_done(0.0, 1000000, 4), 2 * (1e-3 + 1.0));
}

TEST(LinkEmulator, ReadsLinksAndSlowdowns) {
  EXPECT_DOUBLE_EQ(parse_link("1gbe").latency_s, 50e-6);
  EXPECT_NEAR(parse_link("10gbe").bytes_per_s, 1.175e9, 1e6);
  const LinkModel custom = parse_link("20:2.5");
  EXPECT_DOUBLE_EQ(custom.latency_s, 20e-6);
  EXPECT_DOUBLE_EQ(custom.bytes_per_s, 2.5e9 / 8);
  for (const char* bad : {"", "2gbe", "20", "20:", ":5", "-1:5", "20:0", "20:x", "1:2:3"})
    EXPECT_THROW(parse_link(bad), InputError) << bad;
  EXPECT_DOUBLE_EQ(parse_slowdown("2=3.0", 2, 4), 3.0);
  EXPECT_DOUBLE_EQ(parse_slowdown("2=3.0,0=1.5", 0, 4), 1.5);
  EXPECT_DOUBLE_EQ(parse_slowdown("2=3.0", 1, 4), 1.0);
  EXPECT_DOUBLE_EQ(parse_slowdown("", 1, 4), 1.0);
  for (const char* bad : {"2", "2=", "=3", "4=2", "1=0.5", "x=2", "1=2,", "1=2;3=4"})
    EXPECT_THROW(parse_slowdown(bad, 0, 4), InputError) << bad;
}

// Every rank's emulated time after a ring all-reduce of 4 MB on 1 GbE, right after the links
// start: the ring's 2 (P - 1) steps of a chunk each, and the little compute between them.
TEST(LinkEmulator, RingAllreduceTakesItsLinkTime) {
  Communicator& world = test_world();
  const int p = world.size();
  if (p < 2) GTEST_SKIP() << "needs two ranks";
  const LinkModel link = parse_link("1gbe");
  world.emulate_links(link, 1.0, true);
  const int64_t n = 1 << 20;
  std::vector<float> data(n, 1.0f);
  ring_allreduce_sum(world, data.data(), n);
  const double chunk = 4.0 * n / p / link.bytes_per_s;
  const double expected = 2 * (p - 1) * (link.latency_s + chunk);
  // Plus the wall time between the steps, which ranks sharing cores (--oversubscribe) stretch.
  EXPECT_GE(world.emulator()->now(), expected);
  EXPECT_LE(world.emulator()->now(), expected + 0.25);
  world.emulate_links(link, 1.0, true);  // a fresh clock for the test below
}

// A slowed rank's compute holds every rank back in emulated time.
TEST(LinkEmulator, SlowRankDelaysEveryone) {
  Communicator& world = test_world();
  const int p = world.size();
  if (p < 2) GTEST_SKIP() << "needs two ranks";
  world.emulate_links(parse_link("10gbe"), world.rank() == 1 ? 20.0 : 1.0, true);
  // 20 ms of this thread's CPU time, however the ranks share the cores.
  auto cpu = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const double until = cpu() + 0.02;
  while (cpu() < until) {
  }
  float x = 1;
  ring_allreduce_sum(world, &x, 1);
  // Rank 1 computed 20 ms twenty times slower: 0.4 s emulated, which everyone waits for.
  EXPECT_GE(world.emulator()->now(), 0.4);
  EXPECT_LE(world.emulator()->now(), 0.4 + 0.25);
}

}  // namespace
}  // namespace sinter
