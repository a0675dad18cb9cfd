#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
  Node n = make_node("Reshape", 2);
  expect_tensor<float>(run(n, 13, {iota_f({2, 3, 4}), i64({0, -1})})[0], {2, 12}, [] {
    std::vector<float> v(24);
    for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
    return v;
  }());
  EXPECT_EQ(run(n, 13, {iota_f({2, 3, 4}), i64({4, 0, -1})})[0].shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(run(n, 13, {iota_f({2, 3, 4}), i64({-1})})[0].shape(), (Shape{24}));
  EXPECT_EQ(run(n, 5, {iota_f({6}), i64({1, 2, 3})})[0].shape(), (Shape{1, 2, 3}));
}

TEST(Reshape, AllowZero) {
  Node n = make_node("Reshape", 2, 1, {{"allowzero", int64_t{1}}});
  EXPECT_EQ(run(n, 14, {Tensor(DType::kFloat32, {0, 3}), i64({3, 0})})[0].shape(), (Shape{3, 0}));
  // Before opset 14 the attribute does not exist: 0 copies the input dim.
  EXPECT_EQ(run(n, 13, {iota_f({2, 3}), i64({0, 3})})[0].shape(), (Shape{2, 3}));
  expect_node_error([&] { run(n, 14, {iota_f({2, 3}), i64({0, -1})}); });
}

TEST(Reshape, PartialInference) {
  Node n = make_node("Reshape", 2);
  Tensor shape = i64({0, -1});
  auto types =
      infer(n, 13, {vt(DType::kFloat32, {-1, 3, 4}), vt(DType::kInt64, {2})}, {nullptr, &shape});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1}));
  Tensor shape2 = i64({-1, 12});
  types =
      infer(n, 13, {vt(DType::kFloat32, {-1, 3, 4}), vt(DType::kInt64, {2})}, {nullptr, &shape2});
  EXPECT_EQ(types[0].shape, (Shape{-1, 12}));
  types = infer(n, 13, {vt(DType::kFloat32, {2, 3}), vt(DType::kInt64, {3})});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1, -1}));
}

TEST(Reshape, BadShapes) {
  Node n = make_node("Reshape", 2);
  expect_node_error([&] { run(n, 13, {iota_f({2, 3}), i64({4, 2})}); }, "cannot reshape");
  expect_node_error([&] { run(n, 13, {iota_f({2, 3}), i64({-1, -1})}); }, "more than one");
  expect_node_error([&] { run(n, 13, {iota_f({2, 3}), i64({5, -1})}); });
  expect_node_error([&] { run(n, 13, {iota_f({2, 3}), i64({2, -3})}); });
  expect_node_error([&] { run(n, 13, {iota_f({6}), i64({1, 0, 6})}); });
}

TEST(Squeeze, AxesAttributeAndInput) {
  expect_tensor<float>(run(make_node("Squeeze", 1, 1, {{"axes", std::vector<int64_t>{0, -1}}}), 11,
                           {iota_f({1, 3, 1})})[0],
                       {3}, {0, 1, 2});
  EXPECT_EQ(run(make_node("Squeeze", 2), 13, {iota_f({1, 3, 1}), i64({-3})})[0].shape(),
            (Shape{3, 1}));
  EXPECT_EQ(run(make_node("Squeeze", 1), 13, {iota_f({1, 3, 1, 2})})[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(run(make_node("Squeeze", 1), 11, {iota_f({1, 1})})[0].shape(), (Shape{}));
}

TEST(Squeeze, BadAxes) {
  expect_node_error(
      [] {
        run(make_node("Squeeze", 2), 13, {iota_f({1, 3}), i64({1})});
      },
      "cannot squeeze");
  expect_node_error(
      [] {
        run(make_node("Squeeze", 2), 13, {iota_f({1, 3}), i64({2})});
      },
      "out of range");
}

TEST(Squeeze, UnknownDimsWithoutAxesLoseTheRank) {
  auto types = infer(make_node("Squeeze", 1), 13, {vt(DType::kFloat32, {1, -1})});
  EXPECT_FALSE(types[0].has_shape);
  types =
      infer(make_node("Squeeze", 2), 13, {vt(DType::kFloat32, {1, -1, 1}), vt(DType::kInt64, {2})});
  EXPECT_EQ(types[0].shape, (Shape{-1}));
}

TEST(Unsqueeze, AxesCountInOutputRank) {
  EXPECT_EQ(run(make_node("Unsqueeze", 1, 1, {{"axes", std::vector<int64_t>{0, 3}}}), 11,
                {iota_f({2, 3})})[0]
                .shape(),
            (Shape{1, 2, 3, 1}));
  EXPECT_EQ(run(make_node("Unsqueeze", 2), 13, {iota_f({2, 3}), i64({-1, 1})})[0].shape(),
            (Shape{2, 1, 3, 1}));
  EXPECT_EQ(run(make_node("Unsqueeze", 2), 13, {Tensor::scalar<float>(1.f), i64({0})})[0].shape(),
            (Shape{1}));
}

TEST(Unsqueeze, BadAxes) {
  expect_node_error([] { run(make_node("Unsqueeze", 2), 13, {iota_f({2}), i64({3})}); });
  expect_node_error(
      [] {
        run(make_node("Unsqueeze", 2), 13, {iota_f({2}), i64({0, 0})});
      },
      "twice");
  expect_node_error([] { run(make_node("Unsqueeze", 1), 11, {iota_f({2})}); }, "axes");
}

}  // namespace sinter::test
