#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Concat, AxisZeroAndNegative) {
  Node n = make_node("Concat", 2, 1, {{"axis", int64_t{0}}});
  expect_tensor<float>(run(n, 13, {t<float>({1, 2}, {1, 2}), t<float>({2, 2}, {3, 4, 5, 6})})[0],
                       {3, 2}, {1, 2, 3, 4, 5, 6});
  n.attrs["axis"] = int64_t{-1};
  expect_tensor<float>(run(n, 13, {t<float>({2, 1}, {1, 2}), t<float>({2, 2}, {3, 4, 5, 6})})[0],
                       {2, 3}, {1, 3, 4, 2, 5, 6});
}

TEST(Concat, AnyDtypeAndEmptyInputs) {
  Node n = make_node("Concat", 3, 1, {{"axis", int64_t{0}}});
  expect_tensor<int64_t>(run(n, 13, {i64({1, 2}), Tensor(DType::kInt64, {0}), i64({3})})[0], {3},
                         {1, 2, 3});
  expect_tensor<bool>(
      run(n, 13, {t<bool>({1}, {true}), t<bool>({1}, {false}), t<bool>({1}, {true})})[0], {3},
      {true, false, true});
}

TEST(Concat, UnknownDimsStayUnknown) {
  auto types = infer(make_node("Concat", 2, 1, {{"axis", int64_t{1}}}), 13,
                     {vt(DType::kFloat32, {-1, 2}), vt(DType::kFloat32, {3, 4})});
  EXPECT_EQ(types[0].shape, (Shape{3, 6}));
  types = infer(make_node("Concat", 2, 1, {{"axis", int64_t{1}}}), 13,
                {vt(DType::kFloat32, {2, -1}), vt(DType::kFloat32, {2, 4})});
  EXPECT_EQ(types[0].shape, (Shape{2, -1}));
}

TEST(Concat, BadInputs) {
  Node n = make_node("Concat", 2, 1, {{"axis", int64_t{1}}});
  expect_node_error([&] { run(n, 13, {iota_f({2, 2}), iota_f({3, 2})}); }, "does not match");
  expect_node_error([&] { run(n, 13, {iota_f({2, 2}), iota_f({2})}); }, "rank");
  expect_node_error([&] { run(n, 13, {iota_f({2, 2}), Tensor(DType::kInt64, {2, 2})}); });
  n.attrs["axis"] = int64_t{2};
  expect_node_error([&] { run(n, 13, {iota_f({2, 2}), iota_f({2, 2})}); }, "out of range");
  expect_node_error([] { run(make_node("Concat", 2), 13, {iota_f({2}), iota_f({2})}); }, "axis");
}

TEST(Split, EqualParts) {
  auto out = run(make_node("Split", 1, 3), 13, {iota_f({6})});
  expect_tensor<float>(out[0], {2}, {0, 1});
  expect_tensor<float>(out[2], {2}, {4, 5});
}

TEST(Split, SizesAsAttributeAndInput) {
  auto out =
      run(make_node("Split", 1, 2, {{"axis", int64_t{1}}, {"split", std::vector<int64_t>{1, 2}}}),
          11, {iota_f({2, 3})});
  expect_tensor<float>(out[0], {2, 1}, {0, 3});
  expect_tensor<float>(out[1], {2, 2}, {1, 2, 4, 5});
  out = run(make_node("Split", 2, 2, {{"axis", int64_t{-1}}}), 13, {iota_f({2, 3}), i64({3, 0})});
  expect_tensor<float>(out[0], {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_tensor<float>(out[1], {2, 0}, {});
}

TEST(Split, Opset18NumOutputsLeavesTheLastPartSmaller) {
  auto out = run(make_node("Split", 1, 3, {{"num_outputs", int64_t{3}}}), 18, {iota_f({7})});
  expect_tensor<float>(out[0], {3}, {0, 1, 2});
  expect_tensor<float>(out[1], {3}, {3, 4, 5});
  expect_tensor<float>(out[2], {1}, {6});
  out = run(make_node("Split", 1, 2, {{"num_outputs", int64_t{2}}, {"axis", int64_t{1}}}), 18,
            {iota_f({2, 4})});
  expect_tensor<float>(out[1], {2, 2}, {2, 3, 6, 7});
  expect_node_error(
      [] {
        run(make_node("Split", 1, 2, {{"num_outputs", int64_t{3}}}), 18, {iota_f({6})});
      },
      "'num_outputs' = 3 but the node has 2 outputs");
}

TEST(Split, BadSplits) {
  expect_node_error([] { run(make_node("Split", 1, 4), 13, {iota_f({6})}); }, "equal parts");
  expect_node_error(
      [] {
        run(make_node("Split", 2, 2), 13, {iota_f({6}), i64({2, 3})});
      },
      "add up");
  expect_node_error([] { run(make_node("Split", 2, 2), 13, {iota_f({6}), i64({6})}); });
  expect_node_error([] {
    run(make_node("Split", 1, 2, {{"axis", int64_t{1}}}), 13, {iota_f({6})});
  });
}

constexpr int64_t kBig = int64_t{1} << 62;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Concat, HostileAxisNamesTheAttribute) {
  for (int64_t axis : {int64_t{2}, int64_t{-3}, kMin, kBig})
    expect_error<ModelError>(
        [&] {
          run(make_node("Concat", 2, 1, {{"axis", axis}}), 13, {iota_f({1, 2}), iota_f({1, 2})});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range for rank 2"});
  // Two inputs of 2^62 elements along the axis: the sum leaves int64.
  expect_error<ModelError>(
      [] {
        infer(make_node("Concat", 2, 1, {{"axis", int64_t{0}}}), 13,
              {vt(DType::kFloat32, {kBig, 1}), vt(DType::kFloat32, {kBig, 1})});
      },
      {"attribute 'axis' = 0", "overflow"});
}

TEST(Split, HostileSizesNameTheArgument) {
  expect_error<ModelError>(
      [] {
        run(make_node("Split", 2, 2), 13, {iota_f({4}), i64({5, -1})});
      },
      {"input 'split'[1] = -1 is negative"});
  expect_error<ModelError>(
      [] {
        run(make_node("Split", 2, 3), 13, {iota_f({4}), i64({kBig, kBig, kBig})});
      },
      {"input 'split'", "overflow"});
  expect_error<ModelError>(
      [] {
        run(make_node("Split", 1, 2, {{"split", std::vector<int64_t>{kMin, 4}}}), 11,
            {iota_f({4})});
      },
      {"attribute 'split'[0] = " + std::to_string(kMin)});
  expect_error<ModelError>(
      [] {
        run(make_node("Split", 1, 2, {{"axis", kMin}}), 13, {iota_f({4})});
      },
      {"attribute 'axis' = " + std::to_string(kMin), "out of range"});
  // No outputs would mean a division by zero for equal parts.
  expect_error<ModelError>([] { run(make_node("Split", 1, 0), 13, {iota_f({4})}); },
                           {"at least one output"});
}

}  // namespace sinter::test
