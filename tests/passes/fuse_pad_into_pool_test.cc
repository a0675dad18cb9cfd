// A zero Pad before an AveragePool becomes the pool's padding, with the same outputs; other Pads
// stay.
#include "passes/fuse_pad_into_pool.h"

#include <gtest/gtest.h>

#include <random>

#include "../kernels/sparse_test_util.h"
#include "ir/graph_builder.h"
#include "ops/infer_graph.h"
#include "runtime/session.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;

struct Case {
  std::vector<int64_t> pads = {0, 0, 1, 2, 0, 0, 1, 2};
  float value = 0;
  std::string mode = "constant";
  std::string pool = "AveragePool";
  Attrs pool_attrs = {{"kernel_shape", std::vector<int64_t>{3, 5}}};
  bool pad_read_twice = false;
};

Graph graph_of(const Case& c) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 9, 8});
  auto pads = b.weight("pads", Tensor::from_vector<int64_t>({8}, c.pads));
  auto value = b.weight("value", Tensor::from_vector<float>({}, {c.value}));
  auto padded = b.node("Pad", {x, pads, value}, {{"mode", c.mode}});
  b.output(b.node(c.pool, {padded}, c.pool_attrs));
  if (c.pad_read_twice) b.output(b.node("Neg", {padded}));
  Graph g = b.build();
  infer_graph(g);
  return g;
}

int folded(const Case& c) {
  Graph g = graph_of(c);
  return fuse_pad_into_pool(g);
}

TEST(FusePadIntoPool, FoldsAZeroSpatialPadWithTheSameOutputs) {
  Graph g = graph_of({});
  const Graph unfused = g;
  ASSERT_EQ(fuse_pad_into_pool(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[0], "x");
  EXPECT_EQ(g.nodes[0].attr_ints("pads"), (std::vector<int64_t>{1, 2, 1, 2}));
  EXPECT_EQ(g.nodes[0].attr_int("count_include_pad", 0), 1);
  std::mt19937 rng(2);
  const Tensor x = Tensor::from_vector<float>({1, 3, 9, 8}, random_floats(rng, 3 * 72));
  SessionOptions plain;
  plain.optimize = false;
  const Tensor want = Session(unfused, plain).run({{"x", x}})[0];
  const Tensor got = Session(g, plain).run({{"x", x}})[0];
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_EQ(got.data<float>()[i], want.data<float>()[i]) << i;
}

TEST(FusePadIntoPool, LeavesOtherPadsAlone) {
  EXPECT_EQ(folded({.value = 1}), 0);
  EXPECT_EQ(folded({.pads = {0, 1, 1, 1, 0, 0, 1, 1}}), 0);   // a channel pad
  EXPECT_EQ(folded({.pads = {0, 0, 1, -1, 0, 0, 1, 1}}), 0);  // a crop
  EXPECT_EQ(folded({.pads = {0, 0, 3, 1, 0, 0, 1, 1}}), 0);   // as wide as the window
  EXPECT_EQ(folded({.mode = "reflect"}), 0);
  EXPECT_EQ(folded({.pool = "MaxPool"}), 0);  // its padding is -inf, not zeros
  EXPECT_EQ(folded({.pool_attrs = {{"kernel_shape", std::vector<int64_t>{3, 5}},
                                   {"pads", std::vector<int64_t>{1, 1, 1, 1}}}}),
            0);
  EXPECT_EQ(folded({.pool_attrs = {{"kernel_shape", std::vector<int64_t>{3, 5}},
                                   {"ceil_mode", int64_t{1}}}}),
            0);
  EXPECT_EQ(folded({.pad_read_twice = true}), 0);
}

}  // namespace
}  // namespace sinter::testing
