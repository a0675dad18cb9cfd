// Schedules are checked against the graph before a plan runs them: every node once, after what it
// reads, within the threads.
#include "runtime/schedule.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "ir/graph_builder.h"

namespace sinter {
namespace {

// x -> a -> (b, c) -> d: b and c may run side by side.
Graph diamond() {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8});
  auto a = b.node("Relu", {x});
  auto l = b.node("Neg", {a});
  auto r = b.node("Abs", {a});
  b.output(b.node("Add", {l, r}));
  return b.build();
}

std::string error_of(const Schedule& s, int threads = 2) {
  try {
    check_schedule(s, diamond(), threads);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

Schedule side_by_side() { return {{{{{2, {0}}}}, {{{1, {1}}, {1, {2}}}}, {{{2, {3}}}}}}; }

TEST(Schedule, AcceptsBranchesSideBySideAndTheEmptySchedule) {
  EXPECT_EQ(error_of(side_by_side()), "");
  EXPECT_EQ(error_of({}), "");
  EXPECT_EQ(error_of(sequential_schedule(4, 2)), "");
  EXPECT_TRUE(side_by_side().concurrent());
  EXPECT_FALSE(sequential_schedule(4, 2).concurrent());
  EXPECT_EQ(side_by_side().summary(), "3 stages, 1 of them concurrent (up to 2 groups)");
}

TEST(Schedule, RefusesWhatCannotRun) {
  Schedule twice = side_by_side();
  twice.stages[2].groups[0].steps.push_back(1);
  EXPECT_NE(error_of(twice).find("step 1 is scheduled twice"), std::string::npos);

  Schedule missing = side_by_side();
  missing.stages.pop_back();
  EXPECT_NE(error_of(missing).find("is never run"), std::string::npos);

  // The reader beside its producer, and before it.
  EXPECT_NE(error_of({{{{{1, {0}}, {1, {1}}}}, {{{2, {2, 3}}}}}}).find("runs before or beside"),
            std::string::npos);
  EXPECT_NE(error_of({{{{{2, {1, 0, 2, 3}}}}}}).find("runs before or beside"), std::string::npos);

  Schedule crowded = side_by_side();
  crowded.stages[1].groups[0].threads = 2;
  EXPECT_NE(error_of(crowded).find("groups of 3 threads in all on 2"), std::string::npos);
  EXPECT_NE(error_of(side_by_side(), 1).find("asks for 2 threads of 1"), std::string::npos);

  Schedule outside = side_by_side();
  outside.stages[0].groups[0].steps = {7};
  EXPECT_NE(error_of(outside).find("names step 7 of a plan of 4"), std::string::npos);

  Schedule no_threads = side_by_side();
  no_threads.stages[1].groups[1].threads = 0;
  EXPECT_NE(error_of(no_threads).find("asks for 0 threads"), std::string::npos);

  Schedule hollow = side_by_side();
  hollow.stages[1].groups.clear();
  EXPECT_NE(error_of(hollow).find("stage 1 has no groups"), std::string::npos);
}

TEST(Schedule, StepsSideBySideMayRunAtAnyTickOfTheirStage) {
  const Schedule s{{{{{2, {0}}}}, {{{1, {1, 4}}, {1, {2}}}}, {{{2, {3, 5}}}}}};
  const auto ticks = step_ticks(s, 6);
  EXPECT_EQ(ticks[0], std::make_pair(0, 0));
  EXPECT_EQ(ticks[1], std::make_pair(1, 2));
  EXPECT_EQ(ticks[4], std::make_pair(1, 2));
  EXPECT_EQ(ticks[2], std::make_pair(1, 2));
  EXPECT_EQ(ticks[3], std::make_pair(3, 3));
  EXPECT_EQ(ticks[5], std::make_pair(4, 4));
  EXPECT_EQ(step_ticks({}, 3)[2], std::make_pair(2, 2));
}

}  // namespace
}  // namespace sinter
