// The inter-operator schedulers on costs given in the test (so their choices are known), and the
// plans they make: outputs identical to running every node in order, run after run.
#include "runtime/ios_schedule.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../kernels/sparse_test_util.h"
#include "core/thread_pool.h"
#include "ir/graph_builder.h"
#include "passes/merge_sibling_convs.h"
#include "passes/optimize_graph.h"
#include "runtime/greedy_schedule.h"
#include "runtime/inter_op_schedule.h"
#include "runtime/plan.h"
#include "runtime/session.h"

namespace sinter::testing {
namespace {

using Inputs = std::unordered_map<std::string, Tensor>;
using Attrs = std::map<std::string, Attribute>;

const Attrs kPad1{{"pads", std::vector<int64_t>{1, 1, 1, 1}}};

struct Builder {
  GraphBuilder b;
  std::mt19937 rng{3};
  int weights = 0;

  std::string conv(const std::string& x, int64_t in, int64_t out, int64_t k, bool bias = true) {
    const std::string id = std::to_string(weights++);
    auto w = b.weight("w" + id, Tensor::from_vector<float>({out, in, k, k},
                                                           random_floats(rng, out * in * k * k)));
    std::vector<std::string> inputs{x, w};
    if (bias)
      inputs.push_back(
          b.weight("b" + id, Tensor::from_vector<float>({out}, random_floats(rng, out))));
    return b.node("Relu", {b.node("Conv", inputs, k == 3 ? kPad1 : Attrs{})});
  }

  // GoogLeNet's block: a 1x1 branch, two 1x1 -> 3x3 branches and a max pool -> 1x1 branch.
  std::string inception(const std::string& x, int64_t c) {
    auto b1 = conv(x, c, 16, 1);
    auto b2 = conv(conv(x, c, 16, 1), 16, 32, 3);
    auto b3 = conv(conv(x, c, 16, 1, false), 16, 16, 3);
    auto pool = b.node(
        "MaxPool", {x},
        {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    auto b4 = conv(pool, c, 16, 1);
    return b.node("Concat", {b1, b2, b3, b4}, {{"axis", int64_t{1}}});
  }
};

Graph inception_graph() {
  Builder m;
  auto x = m.b.input("x", DType::kFloat32, {1, 16, 14, 14});
  auto y = m.inception(m.inception(m.conv(x, 16, 32, 3), 32), 80);
  m.b.output(m.b.node("GlobalAveragePool", {y}));
  return m.b.build();
}

Graph chain_graph() {
  Builder m;
  auto x = m.b.input("x", DType::kFloat32, {1, 8, 10, 10});
  m.b.output(m.conv(m.conv(m.conv(x, 8, 16, 3), 16, 16, 1), 16, 8, 3));
  return m.b.build();
}

// The graph as a session runs it: types inferred, passes applied.
Graph optimized(Graph g, bool blocked) {
  for (const auto& name : g.inputs) g.types[name].has_shape = true;
  optimize_graph(g, {}, {blocked, true, true});
  return g;
}

Inputs inputs_of(const Graph& g) {
  std::mt19937 rng(17);
  Inputs inputs;
  for (const auto& name : g.inputs) {
    const Shape& s = g.type_of(name)->shape;
    inputs[name] = Tensor::from_vector<float>(s, random_floats(rng, shape_numel(s)));
  }
  return inputs;
}

// Every node takes `one` ms on one thread and `two` on two.
ScheduleCosts uniform_costs(const Graph& g, double one, double two, double stage = 0.001) {
  ScheduleCosts costs;
  costs.threads = 2;
  costs.node_ms.assign(g.nodes.size(), {one, two});
  costs.concurrent_stage_ms = stage;
  return costs;
}

std::vector<Tensor> run_plan(const Graph& g, const Schedule& schedule, const Inputs& inputs,
                             int runs) {
  PlanRecipe recipe;
  recipe.schedule = &schedule;
  Plan plan(g, 2, true, &recipe);
  ThreadPool pool(2);
  std::vector<Tensor> first = plan.run(inputs, pool, false);
  for (int r = 1; r < runs; ++r) {
    const auto again = plan.run(inputs, pool, false);
    for (size_t i = 0; i < again.size(); ++i)
      EXPECT_EQ(std::memcmp(again[i].raw(), first[i].raw(), first[i].nbytes()), 0) << "run " << r;
  }
  return first;
}

void expect_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape());
    EXPECT_EQ(std::memcmp(a[i].raw(), b[i].raw(), a[i].nbytes()), 0) << "output " << i;
  }
}

int concurrent_stages(const Schedule& s) {
  int n = 0;
  for (const auto& stage : s.stages) n += stage.groups.size() > 1;
  return n;
}

TEST(IosSchedule, AChainRunsInOrderAndIsNotMeasured) {
  const Graph g = optimized(chain_graph(), false);
  const ScheduleChoice c = ios_schedule(g, uniform_costs(g, 1.0, 0.9));
  EXPECT_FALSE(c.schedule.concurrent());
  EXPECT_DOUBLE_EQ(c.predicted_ms, c.sequential_ms);
  const ScheduledGraph s = schedule_graph(g, inputs_of(g), {InterOpScheduling::kIos, 2});
  EXPECT_FALSE(s.report.measured);
  EXPECT_TRUE(s.schedule.empty());
}

TEST(IosSchedule, BranchesRunSideBySideWhereThreadsScalePoorly) {
  const Graph g = optimized(inception_graph(), false);
  const ScheduleCosts costs = uniform_costs(g, 1.0, 0.8);
  const ScheduleChoice ios = ios_schedule(g, costs);
  const ScheduleChoice greedy = greedy_schedule(g, costs);
  EXPECT_GT(concurrent_stages(ios.schedule), 0);
  EXPECT_LT(ios.predicted_ms, 0.8 * ios.sequential_ms);
  EXPECT_LE(ios.predicted_ms, greedy.predicted_ms + 1e-9);
  EXPECT_LE(greedy.predicted_ms, greedy.sequential_ms + 1e-9);
  for (const auto& stage : ios.schedule.stages)
    for (const auto& group : stage.groups)
      EXPECT_EQ(group.threads, stage.groups.size() == 1 ? 2 : 1);
  check_schedule(ios.schedule, g, 2);
  check_schedule(greedy.schedule, g, 2);
}

TEST(IosSchedule, PerfectScalingStaysInOrder) {
  const Graph g = optimized(inception_graph(), false);
  const ScheduledGraph s = schedule_graph(g, uniform_costs(g, 2.0, 1.0, 0.01), {});
  EXPECT_TRUE(s.schedule.empty());
  EXPECT_TRUE(s.report.measured);
  EXPECT_EQ(s.report.how, InterOpScheduling::kSequential);
}

TEST(IosSchedule, IsDeterministic) {
  const Graph g = optimized(inception_graph(), false);
  ScheduleCosts costs = uniform_costs(g, 1.0, 0.7);
  std::mt19937 rng(9);
  for (auto& node : costs.node_ms) node = {0.5 + rng() % 100 / 100.0, 0.4 + rng() % 80 / 100.0};
  const Schedule a = ios_schedule(g, costs).schedule, b = ios_schedule(g, costs).schedule;
  ASSERT_EQ(a.stages.size(), b.stages.size());
  for (size_t s = 0; s < a.stages.size(); ++s) {
    ASSERT_EQ(a.stages[s].groups.size(), b.stages[s].groups.size());
    for (size_t k = 0; k < a.stages[s].groups.size(); ++k) {
      EXPECT_EQ(a.stages[s].groups[k].steps, b.stages[s].groups[k].steps);
      EXPECT_EQ(a.stages[s].groups[k].threads, b.stages[s].groups[k].threads);
    }
  }
}

TEST(IosSchedule, MergesSiblingConvsWhenMergedIsFaster) {
  for (bool blocked : {false, true}) {
    SCOPED_TRACE(blocked ? "blocked layout" : "NCHW");
    const Graph g = optimized(inception_graph(), blocked);
    const auto sets = sibling_conv_sets(g);
    // One per block: the 1x1 convs with a bias that read the block's input (the third has none).
    ASSERT_EQ(sets.size(), 2u);
    EXPECT_EQ(sets[0].size(), 2u);
    ScheduleCosts costs = uniform_costs(g, 2.0, 1.0, 0.01);
    for (const auto& set : sets) costs.merges.push_back({set, 0.5});
    const ScheduledGraph s = schedule_graph(g, costs, {});
    EXPECT_EQ(s.report.merged_sets, 2);
    EXPECT_EQ(s.graph.nodes.size(), g.nodes.size());  // two convs became a conv and a split
    check_schedule(s.schedule, s.graph, 2);
    const Inputs inputs = inputs_of(g);
    expect_identical(run_plan(s.graph, s.schedule, inputs, 3), run_plan(g, {}, inputs, 1));
  }
}

// Costs that make branches run side by side, on the plain and the channel-blocked graph, and the
// greedy baseline's schedule too: run many times, always the sequential outputs.
TEST(IosSchedule, PlansGiveTheSequentialOutputsBitForBit) {
  for (bool blocked : {false, true}) {
    SCOPED_TRACE(blocked ? "blocked layout" : "NCHW");
    const Graph g = optimized(inception_graph(), blocked);
    const Inputs inputs = inputs_of(g);
    const auto expected = run_plan(g, {}, inputs, 1);
    ScheduleCosts costs = uniform_costs(g, 1.0, 0.8);
    for (const auto& set : sibling_conv_sets(g)) costs.merges.push_back({set, 0.1});
    for (auto how : {InterOpScheduling::kIos, InterOpScheduling::kGreedy}) {
      const ScheduledGraph s = schedule_graph(g, costs, {how, 2});
      ASSERT_TRUE(s.schedule.concurrent());
      expect_identical(run_plan(s.graph, s.schedule, inputs, 50), expected);
    }
  }
}

TEST(IosSchedule, SessionsAskingForASchedule) {
  const Graph g = inception_graph();
  const Inputs inputs = inputs_of(optimized(g, false));
  SessionOptions options;
  options.threads = 2;
  const auto expected = Session(g, options).run(inputs);
  for (auto how : {InterOpScheduling::kIos, InterOpScheduling::kGreedy}) {
    options.schedule = how;
    Session session(g, options);
    for (int r = 0; r < 5; ++r) expect_identical(session.run(inputs), expected);
    EXPECT_TRUE(session.schedule_report().measured);
    EXPECT_EQ(session.plan().schedule().empty(),
              session.schedule_report().how == InterOpScheduling::kSequential);
  }
}

TEST(BestStage, DealsPartsOntoGroupsAndThreads) {
  ScheduleCosts costs;
  costs.threads = 2;
  costs.node_ms = {{4, 2.2}, {1, 0.6}, {3, 1.7}, {2, 1.1}};
  // Alone on all threads: 5.6 ms; {0} beside {1, 2, 3}: max(4, 6) = 6; {0, 1} beside {2, 3}: 5.
  const StagePlan p = best_stage({{0}, {1}, {2}, {3}}, costs);
  EXPECT_DOUBLE_EQ(p.ms, 5.0);
  ASSERT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(p.groups[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(p.groups[1], (std::vector<int>{2, 3}));
  EXPECT_EQ(p.threads, (std::vector<int>{1, 1}));
  costs.concurrent_stage_ms = 1;
  EXPECT_EQ(best_stage({{0}, {1}, {2}, {3}}, costs).groups.size(), 1u);
}

}  // namespace
}  // namespace sinter::testing
