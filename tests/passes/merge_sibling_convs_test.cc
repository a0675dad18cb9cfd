// Sibling convolutions merged into one and split again in place: the same outputs bit for bit,
// and the split copies nothing.
#include "passes/merge_sibling_convs.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../kernels/sparse_test_util.h"
#include "core/thread_pool.h"
#include "ir/graph_builder.h"
#include "passes/optimize_graph.h"
#include "runtime/plan.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;

struct Siblings {
  Graph graph;
  std::vector<std::string> outputs;
};

// Four 1x1 convs and a 3x3 conv on x (the last 1x1 conv has another stride), each read by a Neg.
Siblings siblings() {
  std::mt19937 rng(4);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 32, 8, 8});
  auto conv = [&](int64_t out, int64_t k, const Attrs& attrs) {
    const std::string id = std::to_string(out) + "_" + std::to_string(k);
    auto w = b.weight("w" + id, Tensor::from_vector<float>({out, 32, k, k},
                                                           random_floats(rng, out * 32 * k * k)));
    auto bias = b.weight("b" + id, Tensor::from_vector<float>({out}, random_floats(rng, out)));
    return b.node("Neg", {b.node("Relu", {b.node("Conv", {x, w, bias}, attrs)})});
  };
  std::vector<std::string> out{conv(16, 1, {}), conv(32, 1, {}), conv(48, 1, {}),
                               conv(16, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
                               conv(32, 1, {{"strides", std::vector<int64_t>{2, 2}}})};
  for (const auto& o : out) b.output(o);
  Graph g = b.build();
  for (const auto& name : g.inputs) g.types[name].has_shape = true;
  optimize_graph(g, {}, {true, true, true});
  return {g, out};
}

struct Ran {
  std::unique_ptr<Plan> plan;
  std::vector<Tensor> outputs;
};

Ran run(const Graph& g, const Tensor& x) {
  auto plan = std::make_unique<Plan>(g, 2);
  ThreadPool pool(2);
  auto outputs = plan->run({{"x", x}}, pool, false);
  return {std::move(plan), std::move(outputs)};
}

TEST(MergeSiblingConvs, FindsConvsThatCanMerge) {
  const Graph g = siblings().graph;
  const auto sets = sibling_conv_sets(g);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].size(), 3u);  // the 3x3 and the strided conv differ
  for (int node : sets[0]) EXPECT_EQ(g.nodes[node].op_type, "FusedConv");
}

TEST(MergeSiblingConvs, MergedGivesTheSameOutputsAndSplitsInPlace) {
  std::mt19937 rng(8);
  const Tensor x = Tensor::from_vector<float>({1, 32, 8, 8}, random_floats(rng, 32 * 64));
  const Siblings s = siblings();
  const auto expected = run(s.graph, x).outputs;
  Graph merged = s.graph;
  const auto sets = sibling_conv_sets(merged);
  const MergedNodes where = merge_convs(merged, {{sets[0][0], sets[0][2]}});
  EXPECT_EQ(merged.nodes.size(), s.graph.nodes.size());  // two convs became a conv and a split
  const auto [conv, split] = where.merged[0];
  EXPECT_EQ(split, conv + 1);
  EXPECT_EQ(where.node[sets[0][2]], conv);
  EXPECT_EQ(merged.nodes[split].op_type, "Split");
  EXPECT_FALSE(merged.initializers.count(s.graph.nodes[sets[0][0]].inputs[1]));
  const Ran ran = run(merged, x);
  const auto& got = ran.outputs;
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(std::memcmp(got[i].raw(), expected[i].raw(), got[i].nbytes()), 0) << "output " << i;
  // The split's outputs lie inside its input: nothing was copied.
  const KernelContext& c = ran.plan->steps()[split].context;
  const auto* base = static_cast<const std::byte*>(c.inputs[0]->raw());
  EXPECT_EQ(c.outputs[0]->raw(), base);
  EXPECT_EQ(c.outputs[1]->raw(), base + c.outputs[0]->nbytes());
}

}  // namespace
}  // namespace sinter::testing
