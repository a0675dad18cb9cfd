// Filter-pruned models: zero filters go, with the input channels and Gemm columns that read
// them, and the model computes what it computed before.
#include "passes/remove_zero_filters.h"

#include <gtest/gtest.h>

#include <random>

#include "ir/graph_builder.h"
#include "passes/optimize_graph.h"
#include "runtime/session.h"

namespace sinter {
namespace {

using Ints = std::vector<int64_t>;

Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// Zeroes rows `channels` of axis 0 of t (a filter, a BatchNorm scale or shift).
Tensor zero_rows(Tensor t, const std::vector<int64_t>& channels) {
  const int64_t per = t.numel() / t.dim(0);
  for (int64_t c : channels)
    std::fill(t.data<float>() + c * per, t.data<float>() + (c + 1) * per, 0.0f);
  return t;
}

struct Options {
  bool trans_b = true;        // the Gemm's weight layout
  bool read_by_add = false;   // conv2's output also feeds an Add: nothing to remove there
  bool nonzero_bias = false;  // conv2's pruned filters keep a bias
};

// x -> conv1 (filters 1, 4, 6 of 8 pruned, BatchNorm zeroed with them) -> Relu -> MaxPool ->
// conv2 (filters 0, 5 of 6 pruned) -> Relu -> Flatten -> Gemm -> logits.
Graph filter_pruned_model(const Options& o) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3, 12, 12});
  const std::vector<int64_t> pruned1 = {1, 4, 6}, pruned2 = {0, 5};
  auto w1 = b.weight("w1", zero_rows(random_tensor({8, 3, 3, 3}, 1), pruned1));
  auto gamma = b.weight("gamma", zero_rows(random_tensor({8}, 2, 0.5f, 1.5f), pruned1));
  auto beta = b.weight("beta", zero_rows(random_tensor({8}, 3), pruned1));
  auto mean = b.weight("mean", random_tensor({8}, 4));
  auto var = b.weight("var", random_tensor({8}, 5, 0.5f, 2.0f));
  auto c1 = b.node("Conv", {x, w1}, {{"pads", Ints{1, 1, 1, 1}}});
  auto bn = b.node("BatchNormalization", {c1, gamma, beta, mean, var});
  auto p1 = b.node("MaxPool", {b.node("Relu", {bn})},
                   {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  auto w2 = b.weight("w2", zero_rows(random_tensor({6, 8, 3, 3}, 6), pruned2));
  Tensor bias2 = random_tensor({6}, 7);
  if (!o.nonzero_bias) bias2 = zero_rows(bias2, pruned2);
  auto c2 = b.node("Conv", {p1, w2, b.weight("b2", bias2)}, {{"pads", Ints{1, 1, 1, 1}}});
  auto r2 = b.node("Relu", {c2});
  if (o.read_by_add) r2 = b.node("Add", {r2, b.node("Relu", {c2})});
  auto flat = b.node("Flatten", {r2});
  Shape fc_shape = o.trans_b ? Shape{5, 6 * 36} : Shape{6 * 36, 5};
  auto fc = b.weight("fc", random_tensor(fc_shape, 8));
  b.output(b.node("Gemm", {flat, fc, b.weight("fcb", random_tensor({5}, 9))},
                  {{"transB", int64_t{o.trans_b}}}));
  return b.build();
}

// Runs the model optimized and not; returns the optimized session's stats and weight shapes.
struct Result {
  int removed = 0;
  std::map<std::string, Shape> weight_shapes;  // by consuming op: "conv1", "conv2", "gemm"
};

Result check_same_outputs(const Graph& g) {
  std::unordered_map<std::string, Tensor> in = {{"x", random_tensor({2, 3, 12, 12}, 10)}};
  Session plain(g, {1, false, false}), optimized(g, {1, true, false});
  Tensor a = plain.run(in)[0], b = optimized.run(in)[0];
  EXPECT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i)
    EXPECT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-4f) << "at " << i;
  Result r;
  r.removed = optimized.optimize_stats().zero_filters_removed;
  const Graph& c = optimized.compiled_graph();
  int convs = 0;
  for (const Node& n : c.nodes) {
    if (n.op_type == "FusedConv" || n.op_type == "ConvMaxPool")
      r.weight_shapes[cat("conv", ++convs)] = c.initializers.at(n.inputs[1]).shape();
    if (n.op_type == "Gemm") r.weight_shapes["gemm"] = c.initializers.at(n.inputs[1]).shape();
  }
  return r;
}

TEST(RemoveZeroFilters, DropsPrunedFiltersAndTheirReaders) {
  for (bool trans_b : {true, false}) {
    SCOPED_TRACE(cat("transB=", trans_b));
    Result r = check_same_outputs(filter_pruned_model({.trans_b = trans_b}));
    EXPECT_EQ(r.removed, 5);
    EXPECT_EQ(r.weight_shapes["conv1"], (Shape{5, 3, 3, 3}));
    EXPECT_EQ(r.weight_shapes["conv2"], (Shape{4, 5, 3, 3}));
    EXPECT_EQ(r.weight_shapes["gemm"], trans_b ? (Shape{5, 4 * 36}) : (Shape{4 * 36, 5}));
  }
}

TEST(RemoveZeroFilters, KeepsChannelsThatAreNotExactlyZeroOrReadElsewhere) {
  // conv2's pruned filters still add their bias: only conv1's go.
  Result bias = check_same_outputs(filter_pruned_model({.nonzero_bias = true}));
  EXPECT_EQ(bias.removed, 3);
  EXPECT_EQ(bias.weight_shapes["conv2"], (Shape{6, 5, 3, 3}));
  // An Add reads conv2's channels, so they stay.
  Result add = check_same_outputs(filter_pruned_model({.read_by_add = true}));
  EXPECT_EQ(add.removed, 3);
  EXPECT_EQ(add.weight_shapes["gemm"], (Shape{5, 6 * 36}));
}

TEST(RemoveZeroFilters, LeavesAGraphOutputAlone) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 2, 5, 5});
  auto w = b.weight("w", zero_rows(random_tensor({4, 2, 3, 3}, 1), {2}));
  b.output(b.node("Conv", {x, w}));
  Graph g = b.build();
  EXPECT_EQ(optimize_graph(g).zero_filters_removed, 0);
}

}  // namespace
}  // namespace sinter
