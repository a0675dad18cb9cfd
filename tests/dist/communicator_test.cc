// The Communicator's checks, run as several MPI ranks: ranks that disagree on an operation fail at
// once, every one of them with a line naming both sides. A failed communicator cannot go on, so
// each of these tests makes one of its own (the world's stays usable).
#include "dist/communicator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "dist/ring_allreduce.h"
#include "world.h"

namespace sinter {
namespace {

// Well inside the deadline: a rank that finds a desync waits up to 5 s for its sender's answer,
// so a test that took longer has taken the fallback.
constexpr double kQuick = 4.0;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `body` on every rank over a communicator of its own, then a barrier, and returns the
// CommError this rank got (from either), after checking it came quickly.
std::string desync_error(const std::function<void(Communicator&)>& body) {
  Communicator local(30.0);
  const auto start = std::chrono::steady_clock::now();
  std::string message;
  try {
    body(local);
    local.barrier("test barrier after the desync");
  } catch (const CommError& e) {
    message = e.what();
  }
  EXPECT_LT(seconds_since(start), kQuick) << message;
  EXPECT_EQ(message.rfind(cat("rank ", test_world().rank(), ": "), 0), 0u) << message;
  EXPECT_NE(message.find("desync"), std::string::npos) << message;
  return message;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Desync, BroadcastAgainstAllreduceFailsOnEveryRank) {
  if (test_world().size() < 2) GTEST_SKIP() << "needs two ranks";
  // Rank 1 broadcasts while the others call MPI's all-reduce, then the ring's.
  for (bool ring : {false, true}) {
    const std::string e = desync_error([&](Communicator& c) {
      std::vector<float> x(static_cast<size_t>(1000 * c.size()), 1.0f);
      const auto n = static_cast<int64_t>(x.size());
      if (c.rank() == 1) {
        c.broadcast(x.data(), x.size() * sizeof(float), 0, "test broadcast");
      } else if (ring) {
        ring_allreduce_sum(c, x.data(), n);
      } else {
        c.allreduce_sum(x.data(), n, "test all-reduce");
      }
    });
    const int64_t bytes = 4000 * test_world().size();
    EXPECT_TRUE(has(e, cat("'test broadcast' (a broadcast of ", bytes, " bytes from rank 0)")))
        << e;
    if (ring) {
      EXPECT_TRUE(has(e, cat("'ring reduce-scatter (step 1 of ", test_world().size() - 1,
                             ")' with 4000 bytes")))
          << e;
    } else {
      EXPECT_TRUE(has(e, cat("'test all-reduce' (an all-reduce of ", bytes, " bytes)"))) << e;
    }
  }
}

TEST(Desync, ReceiveOfTheWrongSizeFailsOnEveryRank) {
  if (test_world().size() < 2) GTEST_SKIP() << "needs two ranks";
  // Rank 0 sends 48 bytes; rank 1 expects more, then fewer (MPI would truncate the message).
  for (size_t expected : {64, 32}) {
    const std::string e = desync_error([&](Communicator& c) {
      std::vector<char> buffer(64);
      if (c.rank() == 0) c.send(1, buffer.data(), 48, "test message");
      if (c.rank() == 1) c.recv(0, buffer.data(), expected, "test message");
    });
    EXPECT_TRUE(has(e, "'test message' with 48 bytes")) << e;
    EXPECT_TRUE(has(e, cat("'test message' with ", expected, " bytes"))) << e;
  }
}

TEST(Desync, ReceiveOfAnotherOperationFailsOnEveryRank) {
  if (test_world().size() < 2) GTEST_SKIP() << "needs two ranks";
  const std::string e = desync_error([](Communicator& c) {
    std::vector<char> buffer(64);
    if (c.rank() == 0) c.send(1, buffer.data(), buffer.size(), "parameter push");
    if (c.rank() == 1) c.recv(0, buffer.data(), buffer.size(), "parameter pull");
  });
  EXPECT_TRUE(has(e, "'parameter push' with 64 bytes")) << e;
  EXPECT_TRUE(has(e, "'parameter pull' with 64 bytes")) << e;
  if (test_world().rank() == 1) {
    EXPECT_EQ(e,
              "rank 1: desync in 'parameter pull': rank 0 sent 'parameter push' with 64 bytes, "
              "this rank expected 'parameter pull' with 64 bytes");
  }
}

// One rank all-reduces a longer buffer: its ring chunks differ from the first step on.
TEST(Desync, RingStepOfAnotherSizeFailsOnEveryRank) {
  const int p = test_world().size();
  if (p < 2) GTEST_SKIP() << "needs two ranks";
  const int odd = std::min(2, p - 1);
  const std::string e = desync_error([&](Communicator& c) {
    std::vector<float> x(static_cast<size_t>(c.rank() == odd ? 1001 * p : 1000 * p), 1.0f);
    ring_allreduce_sum(c, x.data(), static_cast<int64_t>(x.size()));
  });
  const std::string step = cat("'ring reduce-scatter (step 1 of ", p - 1, ")'");
  EXPECT_TRUE(has(e, step + " with 4004 bytes")) << e;
  EXPECT_TRUE(has(e, step + " with 4000 bytes")) << e;
}

// Rank 1 starts the ring's all-gather while the others start with its reduce-scatter: the same
// sizes, other names.
TEST(Desync, RanksAtDifferentStepsOfARingFail) {
  const int p = test_world().size();
  if (p < 2) GTEST_SKIP() << "needs two ranks";
  const std::string e = desync_error([&](Communicator& c) {
    std::vector<float> x(static_cast<size_t>(1000 * p), 1.0f);
    if (c.rank() == 1) {
      ring_all_gather(c, x.data(), static_cast<int64_t>(x.size()));
    } else {
      ring_allreduce_sum(c, x.data(), static_cast<int64_t>(x.size()));
    }
  });
  EXPECT_TRUE(has(e, cat("'ring all-gather (step 1 of ", p - 1, ")' with 4000 bytes"))) << e;
  EXPECT_TRUE(has(e, cat("'ring reduce-scatter (step 1 of ", p - 1, ")' with 4000 bytes"))) << e;
}

// The checks cost no message of their own: ranks that agree see only their data.
TEST(Desync, AgreeingRanksPassTheCheck) {
  Communicator& world = test_world();
  const int p = world.size(), r = world.rank();
  std::vector<float> x(10, static_cast<float>(r));
  world.allreduce_sum(x.data(), 10, "test all-reduce");
  EXPECT_EQ(x[0], static_cast<float>(p * (p - 1) / 2));
  const int64_t before = world.bytes_sent();
  std::vector<float> in(3);
  world.transfer({{(r + 1) % p, x.data(), 12}}, {{(r + p - 1) % p, in.data(), 12}}, "test ring");
  EXPECT_EQ(world.bytes_sent() - before, 12);
  world.broadcast(x.data(), 40, p - 1, "test broadcast");
  world.barrier("test barrier");
}

// After an error the ranks meet on a channel of their own: at once when all come; a rank still
// in a data collective is not met (it times out alone), and the others return at their timeout.
TEST(Communicator, MeetsAfterAnErrorOnlyTheRanksThatMeet) {
  {
    Communicator local(30.0);
    const auto start = std::chrono::steady_clock::now();
    local.meet_after_error(20.0);
    EXPECT_LT(seconds_since(start), kQuick);
  }
  if (test_world().size() < 2) return;
  Communicator local(1.0);
  const auto start = std::chrono::steady_clock::now();
  if (local.rank() == 0) {
    float x = 0;
    EXPECT_THROW(local.allreduce_sum(&x, 1, "test all-reduce"), CommError);
  } else {
    local.meet_after_error(1.0);
    EXPECT_GE(seconds_since(start), 0.9);
    EXPECT_LT(seconds_since(start), 1.0 + kQuick);
  }
}

// The group of `groups` (a split of the world's ranks) that holds this rank.
std::vector<int> my_group(const std::vector<std::vector<int>>& groups) {
  for (const std::vector<int>& g : groups)
    if (std::find(g.begin(), g.end(), test_world().rank()) != g.end()) return g;
  return {};
}

// Collectives and a ring within each group, with the world's operations between them: the sums,
// the broadcast values and the messages are the group's, and each communicator counts its bytes.
void expect_groups_work(const std::vector<std::vector<int>>& groups) {
  Communicator& world = test_world();
  const int p = world.size(), r = world.rank();
  const std::vector<int> members = my_group(groups);
  const int n = static_cast<int>(members.size());
  std::unique_ptr<Communicator> group = world.subgroup(members);
  const int i = group->rank();
  ASSERT_EQ(group->size(), n);
  EXPECT_EQ(members[static_cast<size_t>(i)], r);
  EXPECT_EQ(group->world_ranks(), members);
  const int64_t world_before = world.bytes_sent();

  std::vector<float> x(100, static_cast<float>(r + 1));
  group->allreduce_sum(x.data(), 100, "test group all-reduce");
  float sum = 0;
  for (int q : members) sum += static_cast<float>(q + 1);
  for (float v : x) ASSERT_EQ(v, sum);
  float ones = 1;
  world.allreduce_sum(&ones, 1, "test world all-reduce");
  EXPECT_EQ(ones, static_cast<float>(p));

  std::vector<int32_t> b(8, r);
  group->broadcast(b.data(), 32, n - 1, "test group broadcast");
  for (int32_t v : b) EXPECT_EQ(v, members.back());

  int32_t out = r, in = -1;
  group->transfer({{(i + 1) % n, &out, 4}}, {{(i + n - 1) % n, &in, 4}}, "test group ring");
  EXPECT_EQ(in, members[static_cast<size_t>((i + n - 1) % n)]);
  // The world's point-to-point messages go on beside the groups': a world ring crosses them.
  int32_t world_in = -1;
  world.transfer({{(r + 1) % p, &out, 4}}, {{(r + p - 1) % p, &world_in, 4}}, "test world ring");
  EXPECT_EQ(world_in, (r + p - 1) % p);
  ring_allreduce_sum(*group, x.data(), 100);
  for (float v : x) ASSERT_EQ(v, sum * static_cast<float>(n));
  group->barrier("test group barrier");

  // An all-reduce counts what a ring sends, 2 (n - 1) / n of the buffer; the ring sends its chunks.
  const int64_t ring = n > 1 ? 2 * (n - 1) * 400 / n : 0;
  int64_t ring_chunks = 0;
  for (int s = 0; s < 2 * (n - 1); ++s) {
    const int c = ((i - s % (n - 1) - (s < n - 1 ? 1 : 0)) % n + n) % n;
    ring_chunks += 4 * (chunk_begin(100, n, c + 1) - chunk_begin(100, n, c));
  }
  EXPECT_EQ(group->bytes_sent(), ring + (i == n - 1 ? 32 : 0) + 4 + ring_chunks);
  EXPECT_EQ(world.bytes_sent() - world_before, 2 * (p - 1) * 4 / p + 4);
}

TEST(Subgroup, CollectivesAndMessagesStayInTheGroup) {
  if (test_world().size() != 4) GTEST_SKIP() << "written for four ranks";
  expect_groups_work({{0, 1, 2}, {3}});
  expect_groups_work({{0, 2}, {1, 3}});
  expect_groups_work({{3, 1}, {2, 0}});  // group ranks in the list's order, not the world's
}

TEST(Subgroup, RefusesRanksOutsideTheListAndBadLists) {
  Communicator& world = test_world();
  const int p = world.size(), r = world.rank();
  if (p > 1) {
    EXPECT_THROW(world.subgroup({(r + 1) % p}), InputError);
  }
  for (const std::vector<int>& bad : std::vector<std::vector<int>>{{}, {r, r}, {r, p}, {r, -1}})
    EXPECT_THROW(world.subgroup(bad), InputError);
}

// A group's links are its world ranks' links, and its operations advance the rank's one clock.
TEST(Subgroup, SharesTheEmulatedClock) {
  if (test_world().size() != 4) GTEST_SKIP() << "written for four ranks";
  Communicator local(30.0);
  const LinkModel link = parse_link("1gbe");
  local.emulate_links(link, 1.0, true);
  const std::vector<int> members =
      local.rank() == 3 ? std::vector<int>{3} : std::vector<int>{0, 1, 2};
  std::unique_ptr<Communicator> group = local.subgroup(members);
  EXPECT_EQ(group->emulator(), local.emulator());
  const int n = group->size();
  const int64_t count = 3 << 18;
  std::vector<float> x(static_cast<size_t>(count), 1.0f);
  const double before = local.emulator()->now();
  ring_allreduce_sum(*group, x.data(), count);
  const double ring = local.emulator()->now() - before;
  // The ring's 2 (n - 1) steps of a chunk each, and the little compute between them.
  const double expected =
      n > 1 ? 2 * (n - 1) * (link.latency_s + 4.0 * count / n / link.bytes_per_s) : 0;
  EXPECT_GE(ring, expected);
  EXPECT_LE(ring, expected + 0.25);
  group->allreduce_sum(x.data(), count, "test group all-reduce");
  EXPECT_GE(local.emulator()->now() - before, 2 * expected);
  local.barrier("test barrier");
  EXPECT_GE(local.emulator()->now() - before, 2 * expected);
}

// Members of a group that disagree on it fail like any desync; so does a group's own desync,
// without touching the ranks outside it.
TEST(Subgroup, DesyncsFailTheirGroupOnly) {
  if (test_world().size() != 4) GTEST_SKIP() << "written for four ranks";
  const int r = test_world().rank();
  {
    Communicator local(30.0);
    if (r < 2) {
      const std::vector<int> members = r == 0 ? std::vector<int>{0, 1} : std::vector<int>{1, 0};
      try {
        local.subgroup(members);
        ADD_FAILURE() << "expected a desync";
      } catch (const CommError& e) {
        EXPECT_TRUE(has(e.what(), "'subgroup of ranks 0, 1'")) << e.what();
        EXPECT_TRUE(has(e.what(), "'subgroup of ranks 1, 0'")) << e.what();
      }
    }
  }
  std::unique_ptr<Communicator> group =
      test_world().subgroup(r % 2 == 0 ? std::vector<int>{0, 2} : std::vector<int>{1, 3});
  float x = 1;
  const auto start = std::chrono::steady_clock::now();
  if (r % 2 == 1) {
    group->allreduce_sum(&x, 1, "test group all-reduce");
    EXPECT_EQ(x, 2.0f);
  } else {
    try {
      if (r == 0) group->broadcast(&x, 4, 0, "test group broadcast");
      if (r == 2) group->allreduce_sum(&x, 1, "test group all-reduce");
      ADD_FAILURE() << "expected a desync";
    } catch (const CommError& e) {
      EXPECT_TRUE(has(e.what(), "desync")) << e.what();
      EXPECT_TRUE(has(e.what(), "'test group broadcast' (a broadcast of 4 bytes from rank 0)"))
          << e.what();
    }
  }
  EXPECT_LT(seconds_since(start), kQuick);
  test_world().barrier("test world barrier after a group's desync");
}

}  // namespace
}  // namespace sinter
