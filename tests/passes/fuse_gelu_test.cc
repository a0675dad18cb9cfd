// GELU as exporters write it becomes one sinter::Gelu node with the same output, whichever end
// the 0.5 is applied at and whichever operand order; chains with another reader, other
// constants or constants that broadcast x to a larger shape are left alone.
#include "passes/fuse_gelu.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../ops/math_op_test_util.h"
#include "ir/graph_builder.h"
#include "runtime/session.h"

namespace sinter {
namespace {

using testing::random_tensor;

struct Chain {
  bool half_first;        // (x * 0.5) * (1 + erf) rather than (x * (1 + erf)) * 0.5
  bool swapped;           // constants as the first operand
  bool multiply;          // x * (1 / sqrt 2) rather than x / sqrt 2
  float one = 1.0f;       // the constant added to erf
  Shape half_shape = {};  // the 0.5's shape: a scalar, or one that broadcasts x larger
};

Graph gelu_graph(const Chain& c, bool extra_reader = false) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3, 8});
  auto scalar = [&](const char* name, float v) { return b.weight(name, Tensor::scalar<float>(v)); };
  auto mul = [&](const std::string& p, const std::string& q) {
    return c.swapped ? b.node("Mul", {q, p}) : b.node("Mul", {p, q});
  };
  const std::string scaled = c.multiply ? mul(x, scalar("inv_sqrt2", 1.0f / std::sqrt(2.0f)))
                                        : b.node("Div", {x, scalar("sqrt2", std::sqrt(2.0f))});
  const std::string erf = b.node("Erf", {scaled});
  const std::string one = scalar("one", c.one);
  const std::string add = c.swapped ? b.node("Add", {one, erf}) : b.node("Add", {erf, one});
  const std::string half = b.weight("half", Tensor::from_vector<float>(c.half_shape, {0.5f}));
  const std::string y =
      c.half_first ? b.node("Mul", {mul(x, half), add}) : mul(b.node("Mul", {x, add}), half);
  b.output(y);
  if (extra_reader) b.output(erf);
  return b.build();
}

TEST(FuseGelu, EveryExportedFormBecomesOneNodeWithTheSameOutput) {
  const Tensor x = random_tensor({2, 3, 8}, 3, -4.0f, 4.0f);
  for (bool half_first : {false, true})
    for (bool swapped : {false, true})
      for (bool multiply : {false, true}) {
        SCOPED_TRACE(::testing::Message() << half_first << swapped << multiply);
        const Chain c{half_first, swapped, multiply};
        Graph g = gelu_graph(c);
        infer_graph(g);
        const Tensor want = Session(gelu_graph(c), {1, false, false}).run({{"x", x}})[0];
        ASSERT_EQ(fuse_gelu(g), 1);
        EXPECT_EQ(g.nodes.size(), 1u);
        EXPECT_EQ(g.nodes[0].op_type, "Gelu");
        EXPECT_EQ(g.nodes[0].domain, "sinter");
        const Tensor got = Session(g, {1, false, false}).run({{"x", x}})[0];
        testing::expect_close(got, want, 1e-6);
      }
}

TEST(FuseGelu, ChainsThatAreNotGeluStay) {
  Graph shared = gelu_graph({false, false, false}, true);  // erf is also a graph output
  EXPECT_EQ(fuse_gelu(shared), 0);
  Graph other = gelu_graph({false, false, false, 2.0f});  // 2 + erf
  EXPECT_EQ(fuse_gelu(other), 0);
  // A 0.5 of shape [1, 1, 1, 1] makes the output [1, 2, 3, 8]: no GELU of x [2, 3, 8].
  Graph wider = gelu_graph({false, false, false, 1.0f, {1, 1, 1, 1}});
  infer_graph(wider);
  EXPECT_EQ(fuse_gelu(wider), 0);
}

}  // namespace
}  // namespace sinter
