// Blocks between a graph's waists: no two nodes that could run side by side are cut apart.
#include "runtime/node_dependencies.h"

#include <gtest/gtest.h>

#include "ir/graph_builder.h"

namespace sinter {
namespace {

using Blocks = std::vector<std::pair<int, int>>;

TEST(ScheduleBlocks, CutAtWaistsOnly) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8});
  auto a = b.node("Relu", {x});                  // 0: a chain
  auto l = b.node("Neg", {a});                   // 1: two branches
  auto r = b.node("Abs", {b.node("Exp", {a})});  // 2, 3
  auto j = b.node("Add", {l, r});                // 4: the waist
  b.output(b.node("Sigmoid", {j}));              // 5
  const NodeDependencies deps = node_dependencies(b.build());
  EXPECT_EQ(deps.inputs_from[4], (std::vector<int>{1, 3}));
  EXPECT_EQ(deps.outputs_to[0], (std::vector<int>{1, 2}));
  EXPECT_EQ(schedule_blocks(deps, 64), (Blocks{{0, 1}, {1, 5}, {5, 6}}));
  EXPECT_EQ(schedule_blocks(deps, 2), (Blocks{{0, 1}, {1, 3}, {3, 5}, {5, 6}}));
}

TEST(ScheduleBlocks, ANodeReadingOnlyInputsIsNotCutFromWhatItMayRunBeside) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8});
  auto first = b.node("Relu", {x});
  auto second = b.node("Neg", {x});  // reads no node: may run beside the first
  b.output(b.node("Add", {first, second}));
  EXPECT_EQ(schedule_blocks(node_dependencies(b.build()), 64), (Blocks{{0, 3}}));
}

}  // namespace
}  // namespace sinter
