// Every pass must leave the graph computing what it computed before: each test runs a model
// with and without optimization and compares, and checks that the pass actually fired.
#include "passes/optimize_graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/isa.h"
#include "ir/graph_builder.h"
#include "passes/constant_fold.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_batchnorm.h"
#include "passes/remove_identity.h"
#include "runtime/session.h"

namespace sinter {
namespace {

Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

void expect_same_outputs(const Graph& g, const std::unordered_map<std::string, Tensor>& inputs,
                         float tol = 1e-4f) {
  Session plain(g, {1, false, false});
  Session optimized(g, {2, true, false});
  auto a = plain.run(inputs);
  auto b = optimized.run(inputs);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape());
    float scale = 1e-6f;
    for (int64_t k = 0; k < a[i].numel(); ++k)
      scale = std::max(scale, std::abs(static_cast<float>(a[i].value_as_double(k))));
    for (int64_t k = 0; k < a[i].numel(); ++k)
      ASSERT_NEAR(a[i].value_as_double(k), b[i].value_as_double(k), tol * scale) << "at " << k;
  }
}

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// conv -> bn -> (+ residual conv) -> relu, then gemm -> relu: the ResNet/VGG shapes of fusion.
Graph residual_block() {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 4, 9, 9});
  auto w1 = b.weight("w1", random_tensor({8, 4, 3, 3}, 1));
  auto w2 = b.weight("w2", random_tensor({8, 4, 1, 1}, 2));
  auto bias = b.weight("bias", random_tensor({8}, 3));
  auto gamma = b.weight("gamma", random_tensor({8}, 4, 0.5f, 1.5f));
  auto beta = b.weight("beta", random_tensor({8}, 5));
  auto mean = b.weight("mean", random_tensor({8}, 6));
  auto var = b.weight("var", random_tensor({8}, 7, 0.5f, 2.0f));
  auto c1 = b.node("Conv", {x, w1, bias}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto bn = b.node("BatchNormalization", {c1, gamma, beta, mean, var}, {{"epsilon", 1e-3f}});
  auto c2 = b.node("Conv", {x, w2});
  auto sum = b.node("Add", {bn, c2});
  auto r = b.node("Relu", {sum});
  auto flat = b.node("Flatten", {r});
  auto fc = b.weight("fc", random_tensor({5, 8 * 81}, 8));
  auto fcb = b.weight("fcb", random_tensor({5}, 9));
  auto g = b.node("Gemm", {flat, fc, fcb}, {{"transB", int64_t{1}}});
  b.output(b.node("Relu", {g}));
  return b.build();
}

TEST(OptimizeGraph, FoldsBatchNormAndFusesResidualAndActivations) {
  Graph g = residual_block();
  expect_same_outputs(g, {{"x", random_tensor({1, 4, 9, 9}, 10)}});
  Graph opt = g;
  OptimizeStats s = optimize_graph(opt);
  EXPECT_EQ(s.batchnorms_folded, 1);
  EXPECT_EQ(count_ops(opt, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(opt, "Add"), 0);
  EXPECT_EQ(count_ops(opt, "Relu"), 0);
  EXPECT_EQ(count_ops(opt, "FusedConv"), 1);
  EXPECT_EQ(count_ops(opt, "FusedGemm"), 1);
}

// An image stem: conv -> relu -> max pool -> add.
Graph stem(bool dilated_pool, bool conv_used_twice) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3, 37, 41});
  auto w = b.weight("w", random_tensor({10, 3, 3, 3}, 1));
  auto bias = b.weight("bias", random_tensor({10}, 2));
  auto c =
      b.node("Conv", {x, w, bias},
             {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto r = b.node("Relu", {c});
  std::map<std::string, Attribute> pool_attrs = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                                 {"strides", std::vector<int64_t>{2, 2}},
                                                 {"ceil_mode", int64_t{1}}};
  if (dilated_pool) pool_attrs["dilations"] = std::vector<int64_t>{2, 2};
  auto p = b.node("MaxPool", {r}, pool_attrs);
  auto y = b.node("Add", {p, p});
  if (conv_used_twice)
    y = b.node("Add", {y, b.node("ReduceMax", {r}, {{"axes", std::vector<int64_t>{2, 3}}})});
  b.output(y);
  return b.build();
}

TEST(OptimizeGraph, FusesTheStemConvAndItsMaxPool) {
  const bool direct = active_isa() >= Isa::kAvx2;  // the fused kernel's tiers
  Graph g = stem(false, false);
  expect_same_outputs(g, {{"x", random_tensor({2, 3, 37, 41}, 3)}});
  Graph opt = g;
  optimize_graph(opt);
  EXPECT_EQ(count_ops(opt, "ConvMaxPool"), direct ? 1 : 0);
  EXPECT_EQ(count_ops(opt, "MaxPool"), direct ? 0 : 1);
  // A file's FusedConv may carry pool_* attributes of its own: they must not reach the pool.
  {
    GraphBuilder b;
    auto x = b.input("x", DType::kFloat32, {1, 3, 29, 31});
    auto w = b.weight("w", random_tensor({6, 3, 3, 3}, 6));
    auto c = b.node("FusedConv", {x, w},
                    {{"strides", std::vector<int64_t>{2, 2}},
                     {"activation", std::string("Relu")},
                     {"pool_strides", std::vector<int64_t>{1, 1}}},
                    1, "sinter");
    b.output(b.node(
        "MaxPool", {c},
        {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}}}));
    Graph h = b.build();
    expect_same_outputs(h, {{"x", random_tensor({1, 3, 29, 31}, 7)}});
    optimize_graph(h);
    EXPECT_EQ(count_ops(h, "ConvMaxPool"), direct ? 1 : 0);
  }
  // Left alone: a dilated pool, and a conv output another node reads too.
  for (auto [dilated, twice] : {std::pair{true, false}, std::pair{false, true}}) {
    Graph h = stem(dilated, twice);
    expect_same_outputs(h, {{"x", random_tensor({2, 3, 37, 41}, 4)}});
    optimize_graph(h);
    EXPECT_EQ(count_ops(h, "ConvMaxPool"), 0);
    EXPECT_EQ(count_ops(h, "MaxPool"), 1);
  }
}

// A pruned stem keeps its conv apart for the sparse kernel, unless sparse kernels are off.
TEST(OptimizeGraph, APrunedStemConvIsNotFusedWithItsPool) {
  const bool direct = active_isa() >= Isa::kAvx2;
  Graph g = stem(false, false);
  Tensor& w = g.initializers.at("w");
  for (int64_t i = 0; i < w.numel(); ++i)
    if (i % 10) w.data<float>()[i] = 0.0f;
  expect_same_outputs(g, {{"x", random_tensor({2, 3, 37, 41}, 5)}});
  Graph sparse = g, dense = g;
  optimize_graph(sparse, {}, {false, true, false});
  EXPECT_EQ(count_ops(sparse, "ConvMaxPool"), 0);
  optimize_graph(dense, {}, {false, false, false});
  EXPECT_EQ(count_ops(dense, "ConvMaxPool"), direct ? 1 : 0);
}

TEST(OptimizeGraph, SimplifiesShapeSubgraphToOneReshape) {
  // The flatten pattern exporters emit: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3, 4});
  auto shape = b.node("Shape", {x});
  auto zero = b.weight("zero", Tensor::scalar<int64_t>(0));
  auto n = b.node("Gather", {shape, zero});
  auto axes = b.weight("axes", Tensor::from_vector<int64_t>({1}, {0}));
  auto n1 = b.node("Unsqueeze", {n, axes});
  auto minus1 = b.weight("minus1", Tensor::from_vector<int64_t>({1}, {-1}));
  auto target = b.node("Concat", {n1, minus1}, {{"axis", int64_t{0}}});
  auto y = b.node("Reshape", {x, target});
  b.output(b.node("Relu", {y}));
  Graph g = b.build();
  expect_same_outputs(g, {{"x", random_tensor({2, 3, 4}, 1)}});
  Graph opt = g;
  optimize_graph(opt);
  EXPECT_EQ(opt.nodes.size(), 2u);
  EXPECT_EQ(count_ops(opt, "Reshape"), 1);
  EXPECT_EQ(opt.type_of(opt.outputs[0])->shape, (Shape{2, 12}));
}

TEST(ConstantFold, FoldsConstantChainsIntoInitializers) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {3, 4});
  auto w = b.weight("w", random_tensor({5, 4}, 1));
  auto wt = b.node("Transpose", {w});  // [4,5], computed from constants only
  b.output(b.node("MatMul", {x, wt}));
  Graph g = b.build();
  expect_same_outputs(g, {{"x", random_tensor({3, 4}, 2)}});
  Graph opt = g;
  EXPECT_EQ(constant_fold(opt), 1);
  EXPECT_EQ(opt.nodes.size(), 1u);
  EXPECT_TRUE(opt.is_initializer(opt.nodes[0].inputs[1]));
}

TEST(EliminateDeadNodes, RemovesUnusedBranchesAndWeights) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {4});
  auto unused_w = b.weight("unused", random_tensor({4}, 1));
  b.node("Add", {x, unused_w});  // result never used
  b.output(b.node("Relu", {x}));
  Graph g = b.build();
  EXPECT_EQ(eliminate_dead_nodes(g), 1);
  EXPECT_EQ(g.nodes.size(), 1u);
  EXPECT_FALSE(g.is_initializer("unused"));
}

TEST(RemoveIdentity, BypassesIdentityAndDropout) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3});
  auto i = b.node("Identity", {x});
  auto d = b.node("Dropout", {i});
  b.output(b.node("Sigmoid", {d}));
  Graph g = b.build();
  expect_same_outputs(g, {{"x", random_tensor({2, 3}, 3)}});
  EXPECT_EQ(remove_identity(g), 2);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[0], "x");
}

TEST(FoldBatchNorm, LeavesBatchNormWithSharedProducerAlone) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 2, 4, 4});
  auto w = b.weight("w", random_tensor({2, 2, 1, 1}, 1));
  auto c = b.node("Conv", {x, w});
  std::vector<std::string> p;
  for (int k = 0; k < 4; ++k)
    p.push_back(
        b.weight(std::string("p").append(std::to_string(k)), random_tensor({2}, k, 0.5f, 1.0f)));
  auto bn = b.node("BatchNormalization", {c, p[0], p[1], p[2], p[3]});
  b.output(bn);
  b.output(b.node("Relu", {c}));  // the conv output is used twice: folding would change it
  Graph g = b.build();
  EXPECT_EQ(fold_batchnorm(g), 0);
  expect_same_outputs(g, {{"x", random_tensor({1, 2, 4, 4}, 5)}});
}

}  // namespace
}  // namespace sinter
