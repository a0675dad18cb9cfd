#include <limits>

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

constexpr int64_t kBig = int64_t{1} << 62;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Reshape, HostileShapesNameTheInput) {
  Node n = make_node("Reshape", 2);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({6}), i64({kMin, -1})});
      },
      {"input 'shape' = [" + std::to_string(kMin) + ",-1] holds"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({6}), i64({-1, 2, -1})});
      },
      {"input 'shape' = [-1,2,-1] has more than one -1"});
  // The product of the given dims leaves int64 before any comparison with the input's size.
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({6}), i64({kBig, kBig, -1})});
      },
      {"input 'shape'", "2^63 bytes"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({6}), i64({kMax})});
      },
      {"input 'shape'", "2^63 bytes"});
  // With a zero-sized input, -1 next to a 0 could be any size.
  Node keep_zero = make_node("Reshape", 2, 1, {{"allowzero", int64_t{0}}});
  expect_error<ModelError>(
      [&] {
        run(keep_zero, 13, {Tensor(DType::kFloat32, {0, 3}), i64({0, -1})});
      },
      {"cannot reshape", "input 'shape' = [0,-1]"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({1}), i64(std::vector<int64_t>(65, 1))});
      },
      {"input 'shape' has 65 entries"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({6}), i64({2, 0, 3})});
      },
      {"input 'shape' = [2,0,3] copies dim 1 of a rank-1 input"});
}

TEST(Squeeze, HostileAxesNameTheArgument) {
  expect_error<ModelError>(
      [] {
        run(make_node("Squeeze", 2), 13, {iota_f({1, 3}), i64({kMin})});
      },
      {"input 'axes'[0] = " + std::to_string(kMin), "out of range"});
  expect_error<ModelError>(
      [] {
        run(make_node("Squeeze", 2), 13, {iota_f({1, 1, 3}), i64({0, -3})});
      },
      {"input 'axes' lists axis 0 twice"});
  expect_error<ModelError>(
      [] {
        run(make_node("Squeeze", 1, 1, {{"axes", std::vector<int64_t>{kBig}}}), 11,
            {iota_f({1, 3})});
      },
      {"attribute 'axes'[0]"});
  // More axes than dims, values unknown: the output rank would be negative.
  expect_error<ModelError>(
      [] {
        infer(make_node("Squeeze", 2), 13, {vt(DType::kFloat32, {1, 1}), vt(DType::kInt64, {3})});
      },
      {"input 'axes' has 3 entries for a rank-2 input"});
}

TEST(Unsqueeze, HostileAxesNameTheArgument) {
  expect_error<ModelError>(
      [] {
        run(make_node("Unsqueeze", 2), 13, {iota_f({2}), i64({kMax})});
      },
      {"input 'axes'[0] = " + std::to_string(kMax), "out of range"});
  expect_error<ModelError>(
      [] {
        run(make_node("Unsqueeze", 2), 13, {iota_f({2}), i64({1, -2})});
      },
      {"input 'axes' lists axis 1 twice"});
  expect_error<ModelError>(
      [] {
        run(make_node("Unsqueeze", 1, 1, {{"axes", std::vector<int64_t>(64, 0)}}), 11,
            {iota_f({2})});
      },
      {"attribute 'axes' has 64 entries", "largest rank"});
  // An axes tensor of 2^40 unknown values must not become a 2^40-dim shape.
  expect_error<ModelError>(
      [] {
        infer(make_node("Unsqueeze", 2), 13,
              {vt(DType::kFloat32, {2}), vt(DType::kInt64, {int64_t{1} << 40})});
      },
      {"input 'axes' has 1099511627776 entries"});
}

TEST(Flatten, HostileAxisNamesTheAttribute) {
  for (int64_t axis : {int64_t{4}, int64_t{-4}, kMin, kMax})
    expect_error<ModelError>(
        [&] {
          run(make_node("Flatten", 1, 1, {{"axis", axis}}), 13, {iota_f({2, 3, 4})});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range"});
}

}  // namespace sinter::test
