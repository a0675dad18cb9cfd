#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Slice, InputsWithAxesAndSteps) {
  Node n = make_node("Slice", 5);
  // x = [[0..4],[5..9],[10..14]]; rows 0..1, columns 1,3.
  auto out = run(n, 13, {iota_f({3, 5}), i64({1, 0}), i64({4, 2}), i64({1, 0}), i64({2, 1})});
  expect_tensor<float>(out[0], {2, 2}, {1, 3, 6, 8});
}

TEST(Slice, NegativeStepsAndClamping) {
  Node n = make_node("Slice", 5);
  auto out = run(n, 13, {iota_f({5}), i64({kMax}), i64({kMin}), i64({0}), i64({-2})});
  expect_tensor<float>(out[0], {3}, {4, 2, 0});
  out = run(n, 13, {iota_f({5}), i64({-2}), i64({100}), i64({-1}), i64({1})});
  expect_tensor<float>(out[0], {2}, {3, 4});
  out = run(n, 13, {iota_f({5}), i64({10}), i64({12}), i64({0}), i64({1})});
  expect_tensor<float>(out[0], {0}, {});
  out = run(n, 13, {iota_f({5}), i64({3}), i64({-100}), i64({0}), i64({-1})});
  expect_tensor<float>(out[0], {4}, {3, 2, 1, 0});
}

TEST(Slice, OptionalInputsOmitted) {
  Node n = make_node("Slice", 5, 1, {}, {true, true, true, false, false});
  auto out = run(n, 13, {iota_f({2, 3}), i64({1}), i64({2}), Tensor(), Tensor()});
  expect_tensor<float>(out[0], {1, 3}, {3, 4, 5});
}

TEST(Slice, Opset9Attributes) {
  Node n = make_node("Slice", 1, 1,
                     {{"starts", std::vector<int64_t>{1}},
                      {"ends", std::vector<int64_t>{-1}},
                      {"axes", std::vector<int64_t>{1}}});
  expect_tensor<int32_t>(run(n, 9, {t<int32_t>({2, 4}, {0, 1, 2, 3, 4, 5, 6, 7})})[0], {2, 2},
                         {1, 2, 5, 6});
}

TEST(Slice, UnknownBoundsKeepOtherDims) {
  Node n = make_node("Slice", 4);
  Tensor axes = i64({1});
  auto types = infer(n, 13,
                     {vt(DType::kFloat32, {2, 5}), vt(DType::kInt64, {1}), vt(DType::kInt64, {1}),
                      vt(DType::kInt64, {1})},
                     {nullptr, nullptr, nullptr, &axes});
  EXPECT_EQ(types[0].shape, (Shape{2, -1}));
}

TEST(Slice, BadArguments) {
  Node n = make_node("Slice", 5);
  expect_node_error(
      [&] {
        run(n, 13, {iota_f({5}), i64({0}), i64({2}), i64({1}), i64({1})});
      },
      "out of range");
  expect_node_error(
      [&] {
        run(n, 13, {iota_f({5}), i64({0}), i64({2}), i64({0}), i64({0})});
      },
      "step");
  expect_node_error([&] { run(n, 13, {iota_f({5}), i64({0, 1}), i64({2}), i64({0}), i64({1})}); });
}

TEST(Slice, ExtremeStepsStayInsideTheTensor) {
  Node n = make_node("Slice", 5);
  // The magnitude of INT64_MIN does not fit int64; a step taken once is never applied.
  expect_tensor<float>(run(n, 13, {iota_f({5}), i64({4}), i64({kMin}), i64({0}), i64({kMin})})[0],
                       {1}, {4});
  expect_tensor<float>(
      run(n, 13, {iota_f({3, 2}), i64({2, 0}), i64({kMin, 2}), i64({0, 1}), i64({kMin, 1})})[0],
      {1, 2}, {4, 5});
  expect_tensor<float>(
      run(n, 13,
          {iota_f({3, 2}), i64({0, 1}), i64({kMax, kMax}), i64({0, 1}), i64({kMax, kMax})})[0],
      {1, 1}, {1});
}

TEST(Slice, HostileArgumentsNameTheArgument) {
  Node n = make_node("Slice", 5);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({5}), i64({0}), i64({2}), i64({0}), i64({0})});
      },
      {"input 'steps'[0] is 0"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({5}), i64({0}), i64({2}), i64({kMin}), i64({1})});
      },
      {"input 'axes'[0] = " + std::to_string(kMin), "out of range"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 5}), i64({0, 0}), i64({2, 2}), i64({1, -1}), i64({1, 1})});
      },
      {"input 'axes' lists axis 1 twice"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({5}), i64({0, 0}), i64({2}), i64({0}), i64({1})});
      },
      {"input 'starts' has 2 entries but input 'ends' has 1"});
  expect_error<ModelError>(
      [] {
        run(make_node("Slice", 1, 1,
                      {{"starts", std::vector<int64_t>{0}},
                       {"ends", std::vector<int64_t>{1}},
                       {"axes", std::vector<int64_t>{3}}}),
            9, {iota_f({5})});
      },
      {"attribute 'axes'[0] = 3"});
  expect_error<ModelError>(
      [] {
        Tensor axes = i64({7});
        infer(make_node("Slice", 4), 13,
              {vt(DType::kFloat32, {2, 5}), vt(DType::kInt64, {1}), vt(DType::kInt64, {1}),
               vt(DType::kInt64, {1})},
              {nullptr, nullptr, nullptr, &axes});
      },
      {"input 'axes'[0] = 7"});
}

}  // namespace sinter::test
