// LayerNorm exported as ReduceMean, Sub, Pow (or Mul), ReduceMean, Add, Sqrt, Div, Mul and Add
// becomes one sinter::LayerNormalization with the same output: over one or two trailing axes,
// axes as attribute (opset 13) or input (opset 18), with and without the bias; chains whose
// intermediates have other readers or that reduce other axes stay.
#include "passes/fuse_layer_norm.h"

#include <gtest/gtest.h>

#include "../ops/math_op_test_util.h"
#include "ir/graph_builder.h"
#include "runtime/session.h"

namespace sinter {
namespace {

using testing::random_tensor;

struct Form {
  int64_t opset = 13;
  std::vector<int64_t> axes = {-1};
  bool multiply = false;  // Mul(d, d) rather than Pow(d, 2)
  bool bias = true;
  bool extra_reader = false;  // d is also a graph output
  Shape eps_shape = {};       // a scalar, or one that broadcasts the output larger
};

Graph layer_norm_graph(const Form& f) {
  GraphBuilder b(f.opset);
  auto x = b.input("x", DType::kFloat32, {2, 5, 8});
  auto mean_of = [&](const std::string& v) {
    if (f.opset >= 18)
      return b.node("ReduceMean",
                    {v, b.weight(v + "_axes", Tensor::from_vector<int64_t>(
                                                  {static_cast<int64_t>(f.axes.size())}, f.axes))},
                    {{"keepdims", int64_t{1}}});
    return b.node("ReduceMean", {v}, {{"axes", f.axes}, {"keepdims", int64_t{1}}});
  };
  const std::string d = b.node("Sub", {x, mean_of(x)});
  const std::string square = f.multiply
                                 ? b.node("Mul", {d, d})
                                 : b.node("Pow", {d, b.weight("two", Tensor::scalar<float>(2.0f))});
  const std::string var = mean_of(square);
  const std::string std_dev = b.node(
      "Sqrt",
      {b.node("Add", {var, b.weight("eps", Tensor::from_vector<float>(f.eps_shape, {1e-5f}))})});
  const Shape norm = f.axes.size() == 1 ? Shape{8} : Shape{5, 8};
  std::string y =
      b.node("Mul", {b.node("Div", {d, std_dev}), b.weight("gamma", random_tensor(norm, 4))});
  if (f.bias) y = b.node("Add", {y, b.weight("beta", random_tensor(norm, 5))});
  b.output(y);
  if (f.extra_reader) b.output(d);
  return b.build();
}

TEST(FuseLayerNorm, ExportedFormsBecomeOneNodeWithTheSameOutput) {
  const Tensor x = random_tensor({2, 5, 8}, 3, -3.0f, 5.0f);
  for (int64_t opset : {13, 18})
    for (const std::vector<int64_t>& axes : {std::vector<int64_t>{-1}, std::vector<int64_t>{1, 2}})
      for (bool multiply : {false, true})
        for (bool bias : {false, true}) {
          SCOPED_TRACE(::testing::Message() << opset << " " << axes.size() << multiply << bias);
          const Form f{opset, axes, multiply, bias};
          Graph g = layer_norm_graph(f);
          infer_graph(g);
          const Tensor want = Session(layer_norm_graph(f), {1, false, false}).run({{"x", x}})[0];
          ASSERT_EQ(fuse_layer_norm(g), 1);
          ASSERT_EQ(g.nodes.size(), 1u);
          EXPECT_EQ(g.nodes[0].op_type, "LayerNormalization");
          EXPECT_EQ(g.nodes[0].domain, "sinter");
          EXPECT_EQ(g.nodes[0].attr_int("axis", 0), -static_cast<int64_t>(axes.size()));
          const Tensor got = Session(g, {1, false, false}).run({{"x", x}})[0];
          testing::expect_close(got, want, 1e-5);
        }
}

TEST(FuseLayerNorm, OtherChainsStay) {
  Form shared;
  shared.extra_reader = true;
  Graph g = layer_norm_graph(shared);
  infer_graph(g);
  EXPECT_EQ(fuse_layer_norm(g), 0);
  Form wider;
  wider.eps_shape = {1, 1, 1, 1};  // broadcasts the output to [1, 2, 5, 8]
  Graph w = layer_norm_graph(wider);
  infer_graph(w);
  EXPECT_EQ(fuse_layer_norm(w), 0);
  Form leading;
  leading.axes = {1};  // not the trailing axes
  Graph h = layer_norm_graph(leading);
  infer_graph(h);
  EXPECT_EQ(fuse_layer_norm(h), 0);
}

}  // namespace
}  // namespace sinter
