#include <gtest/gtest.h>

#include <limits>

#include "math_op_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

Tensor iota(Shape s) {
  std::vector<float> v(shape_numel(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
  return Tensor::from_vector<float>(s, v);
}

TEST(ReduceOp, AxesKeepdimsAndKinds) {
  Tensor x = iota({2, 3, 2});  // [[[0,1],[2,3],[4,5]],[[6,7],[8,9],[10,11]]]
  using Attrs = std::map<std::string, Attribute>;
  auto reduce = [&](const char* op, Attrs a, int64_t opset = 13) {
    return run1(make_node(op, 1, a), opset, {&x});
  };
  Tensor m = reduce("ReduceMean", {{"axes", std::vector<int64_t>{1}}});
  EXPECT_EQ(shape_str(m.shape()), "[2,1,2]");
  expect_values(m, {2, 3, 8, 9});
  Tensor s =
      reduce("ReduceSum", {{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", int64_t(0)}}, 11);
  EXPECT_EQ(shape_str(s.shape()), "[3]");
  expect_values(s, {14, 22, 30});
  expect_values(reduce("ReduceMax", {{"axes", std::vector<int64_t>{-1}}}), {1, 3, 5, 7, 9, 11});
  expect_values(reduce("ReduceMin", {{"keepdims", int64_t(0)}}), {0});
  expect_values(reduce("ReduceProd", {{"axes", std::vector<int64_t>{2}}}), {0, 6, 20, 42, 72, 110});
  expect_values(
      reduce("ReduceL2", {{"axes", std::vector<int64_t>{2}}}),
      {1, std::sqrt(13.0), std::sqrt(41.0), std::sqrt(85.0), std::sqrt(145.0), std::sqrt(221.0)});
  // Non-adjacent reduced axes take the general path.
  Tensor y = iota({2, 2, 2, 2});
  Tensor g = run1(make_node("ReduceSum", 1, {{"axes", std::vector<int64_t>{0, 2}}}), 11, {&y});
  expect_values(g, {0 + 2 + 8 + 10, 1 + 3 + 9 + 11, 4 + 6 + 12 + 14, 5 + 7 + 13 + 15});
}

TEST(ReduceOp, AxesAsInputFromOpset13AndNoop) {
  Tensor x = iota({2, 3});
  Tensor axes = Tensor::from_vector<int64_t>({1}, {1});
  expect_values(run1(make_node("ReduceSum", 2), 13, {&x, &axes}), {3, 12});
  Tensor out = run1(make_node("ReduceSum", 1), 13, {&x});  // no axes: all
  expect_values(out, {15});
  Tensor empty = Tensor::from_vector<int64_t>({0}, {});
  Tensor same =
      run1(make_node("ReduceSum", 2, {{"noop_with_empty_axes", int64_t(1)}}), 13, {&x, &empty});
  expect_values(same, {0, 1, 2, 3, 4, 5});
  Tensor mean = run1(make_node("ReduceMean", 2), 18, {&x, &axes});
  expect_values(mean, {1, 4});
}

TEST(ReduceOp, Int64AndBadAxis) {
  Tensor x = Tensor::from_vector<int64_t>({2, 2}, {1, 2, 3, 4});
  expect_values(run1(make_node("ReduceProd", 1, {{"keepdims", int64_t(0)}}), 13, {&x}), {24});
  Node n = make_node("ReduceMean", 1, {{"axes", std::vector<int64_t>{2}}});
  n.name = "rm";
  try {
    run1(n, 13, {&x});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("ReduceMean node 'rm'"), std::string::npos);
  }
}

TEST(ReduceOp, ThreadedMatchesSerial) {
  Tensor x = random_tensor({3, 64, 33, 17}, 1);
  for (auto axes : {std::vector<int64_t>{2, 3}, std::vector<int64_t>{1}, std::vector<int64_t>{0},
                    std::vector<int64_t>{1, 3}}) {
    Node n = make_node("ReduceMean", 1, {{"axes", axes}});
    expect_close(run_impl(n, 13, {&x}, "reference", 2), run_impl(n, 13, {&x}, "reference", 1),
                 1e-6);
  }
}

// Both implementations, through the op: axes as attribute and as input (empty too, with and
// without noop_with_empty_axes), negative axes, keepdims, and an integer input.
TEST(ReduceOp, FastMatchesReference) {
  using Attrs = std::map<std::string, Attribute>;
  Tensor x = random_tensor({4, 8, 7, 5}, 3);
  Tensor empty_axes = Tensor::from_vector<int64_t>({0}, {});
  Tensor axes_023 = Tensor::from_vector<int64_t>({3}, {0, -2, 3});
  struct Case {
    const char* op;
    int64_t opset;
    Attrs attrs;
    const Tensor* axes;
    const char* shape;
  };
  const Case cases[] = {
      {"ReduceSum", 13, {}, &axes_023, "[1,8,1,1]"},
      {"ReduceSum", 13, {{"keepdims", int64_t(0)}}, &axes_023, "[8]"},
      {"ReduceSum", 13, {}, &empty_axes, "[1,1,1,1]"},
      {"ReduceSum", 13, {{"noop_with_empty_axes", int64_t(1)}}, &empty_axes, "[4,8,7,5]"},
      {"ReduceSum", 13, {{"noop_with_empty_axes", int64_t(1)}}, nullptr, "[4,8,7,5]"},
      {"ReduceMean", 13, {{"axes", std::vector<int64_t>{0, 2, 3}}}, nullptr, "[1,8,1,1]"},
      {"ReduceMean", 18, {{"keepdims", int64_t(0)}}, &axes_023, "[8]"},
      {"ReduceMean", 18, {}, nullptr, "[1,1,1,1]"},
      {"ReduceMax", 13, {{"axes", std::vector<int64_t>{1}}}, nullptr, "[4,1,7,5]"},
      {"ReduceMin", 13, {{"axes", std::vector<int64_t>{-1}}}, nullptr, "[4,8,7,1]"},
      {"ReduceL2", 13, {{"axes", std::vector<int64_t>{0}}}, nullptr, "[1,8,7,5]"},
      {"ReduceLogSumExp", 18, {}, &axes_023, "[1,8,1,1]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.op) + " -> " + c.shape);
    std::vector<const Tensor*> inputs = {&x};
    if (c.axes) inputs.push_back(c.axes);
    const Node n = make_node(c.op, inputs.size(), c.attrs);
    Tensor want = run_impl(n, c.opset, inputs, "reference");
    EXPECT_EQ(shape_str(want.shape()), c.shape);
    expect_close(run_impl(n, c.opset, inputs, "reduce", 1), want, 1e-5);
    expect_close(run_impl(n, c.opset, inputs, "reduce", 2), want, 1e-5);
  }
  Tensor ints = Tensor::from_vector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(run1(make_node("ReduceSum", 1, {{"axes", std::vector<int64_t>{0}}}), 11, {&ints}),
                {5, 7, 9});
}

TEST(ReduceOp, HostileAxesNameTheArgument) {
  Tensor x = iota({2, 3});
  // Attributes up to opset 17 (ReduceMean), an input from opset 13 (ReduceSum).
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("ReduceMean", 1, {{"axes", std::vector<int64_t>{0, int64_t{1} << 62}}}), 13,
             {&x});
      },
      {"attribute 'axes'[1] = 4611686018427387904", "out of range for rank 2"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("ReduceMean", 1, {{"axes", std::vector<int64_t>{1, -1}}}), 13, {&x});
      },
      {"attribute 'axes' lists axis 1 twice"}, "n0");
  Tensor axes = Tensor::from_vector<int64_t>({1}, {std::numeric_limits<int64_t>::min()});
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("ReduceSum", 2), 13, {&x, &axes});
      },
      {"input 'axes'[0] = -9223372036854775808"}, "n0");
}

}  // namespace
}  // namespace sinter::testing
