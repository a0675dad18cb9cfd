#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Pad, ConstantFromInput) {
  Node n = make_node("Pad", 3);
  auto out =
      run(n, 13, {t<float>({2, 2}, {1, 2, 3, 4}), i64({0, 1, 1, 0}), Tensor::scalar<float>(9.f)});
  expect_tensor<float>(out[0], {3, 3}, {9, 1, 2, 9, 3, 4, 9, 9, 9});
  // Without constant_value the pad is zero.
  Node n2 = make_node("Pad", 2);
  out = run(n2, 13, {t<int32_t>({2}, {5, 6}), i64({1, 1})});
  expect_tensor<int32_t>(out[0], {4}, {0, 5, 6, 0});
}

// Before opset 11 the constant is a float attribute, which an integer tensor takes saturated to
// its range (NaN as 0) rather than by an undefined out-of-range conversion.
TEST(Pad, IntegerTensorsSaturateAFloatConstant) {
  const float big = 1e30f, nan = std::numeric_limits<float>::quiet_NaN();
  for (const auto& [value, want] :
       std::vector<std::pair<float, int32_t>>{{big, std::numeric_limits<int32_t>::max()},
                                              {-big, std::numeric_limits<int32_t>::lowest()},
                                              {nan, 0},
                                              {7.9f, 7}}) {
    Node n = make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{1, 0}}, {"value", value}});
    expect_tensor<int32_t>(run(n, 7, {t<int32_t>({1}, {5})})[0], {2}, {want, 5});
  }
}

TEST(Pad, ReflectAndEdge) {
  Node n = make_node("Pad", 2, 1, {{"mode", std::string("reflect")}});
  expect_tensor<float>(run(n, 13, {t<float>({3}, {1, 2, 3}), i64({2, 2})})[0], {7},
                       {3, 2, 1, 2, 3, 2, 1});
  n.attrs["mode"] = std::string("edge");
  expect_tensor<float>(run(n, 13, {t<float>({1, 2}, {1, 2}), i64({1, 1, 0, 1})})[0], {2, 4},
                       {1, 1, 2, 2, 1, 1, 2, 2});
}

TEST(Pad, Opset18AxesPadOnlyTheDimsNamed) {
  // Pads (1, 2) before and (0, 1) after, for axes (-1, 0) of a 2x3 input.
  Node n = make_node("Pad", 4, 1, {}, {true, true, false, true});
  Tensor x = iota_f({2, 3});
  expect_tensor<float>(run(n, 18, {x, i64({1, 2, 0, 1}), Tensor(), i64({-1, 0})})[0], {5, 4},
                       {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0});
  // Axes known only at run time: the rank is all that is known.
  const Tensor pads = i64({1, 2, 0, 1});
  EXPECT_EQ(infer(n, 18,
                  {vt(DType::kFloat32, {2, 3}), vt(DType::kInt64, {4}), {}, vt(DType::kInt64, {2})},
                  {nullptr, &pads, nullptr, nullptr})[0]
                .shape,
            Shape({-1, -1}));
  expect_node_error(
      [&] {
        run(n, 18, {x, i64({1, 1, 1, 1}), Tensor(), i64({0, -2})});
      },
      "appears twice");
  expect_node_error(
      [&] {
        run(n, 18, {x, i64({1, 1}), Tensor(), i64({0, 1})});
      },
      "2 entries for 2 axes");
  expect_node_error([&] { run(n, 18, {x, i64({1, 1}), Tensor(), i64({2})}); }, "out of range");
  expect_node_error(
      [&] {
        run(n, 17, {x, i64({1, 1}), Tensor(), i64({0})});
      },
      "input 'axes' needs opset 18");
}

TEST(Pad, Opset19WrapRepeatsTheInput) {
  Node n = make_node("Pad", 2, 1, {{"mode", std::string("wrap")}});
  expect_tensor<float>(run(n, 19, {t<float>({3}, {1, 2, 3}), i64({2, 4})})[0], {9},
                       {2, 3, 1, 2, 3, 1, 2, 3, 1});
}

TEST(Pad, NegativePadsCrop) {
  Node n = make_node("Pad", 2);
  expect_tensor<float>(run(n, 13, {iota_f({2, 3}), i64({0, -1, 0, 1})})[0], {2, 3},
                       {1, 2, 0, 4, 5, 0});
}

TEST(Pad, Opset2Attributes) {
  Node n = make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{1, 0}}, {"value", 1.5f}});
  expect_tensor<float>(run(n, 10, {t<float>({1}, {7})})[0], {2}, {1.5f, 7});
  Node i = make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{0, 1}}, {"value", 3.f}});
  expect_tensor<int8_t>(run(i, 10, {t<int8_t>({1}, {7})})[0], {2}, {7, 3});
}

TEST(Pad, UnknownPadsKeepRank) {
  auto types =
      infer(make_node("Pad", 2), 13, {vt(DType::kFloat32, {2, 3}), vt(DType::kInt64, {4})});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1}));
}

TEST(Pad, BadArguments) {
  expect_node_error([] { run(make_node("Pad", 2), 13, {iota_f({2, 3}), i64({1, 1})}); }, "pads");
  expect_node_error([] { run(make_node("Pad", 2), 13, {iota_f({2}), i64({-2, -1})}); });
  expect_node_error(
      [] {
        run(make_node("Pad", 2, 1, {{"mode", std::string("wrap")}}), 13,
            {iota_f({2}), i64({1, 1})});
      },
      "pad mode 'wrap' needs opset 19");
}

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Pad, HostilePadsNameTheArgument) {
  Node n = make_node("Pad", 2);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 3}), i64({0, kMin, 0, 0})});
      },
      {"input 'pads'[1] = " + std::to_string(kMin), "crops more than dim 1"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 3}), i64({0, kMax, 0, kMax})});
      },
      {"input 'pads'", "overflow"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({int64_t{1} << 61, 0})});
      },
      {"input 'pads'", "2^63 bytes"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({-2, -2})});
      },
      {"input 'pads' (-2, -2) crop dim 0 of size 3 below zero"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({1, 1, 1})});
      },
      {"input 'pads' has 3 entries for a rank-1 input"});
  expect_error<ModelError>(
      [] {
        run(make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{-4, 0}}}), 10, {iota_f({3})});
      },
      {"attribute 'pads'[0] = -4"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), t<float>({2}, {1, 1})});
      },
      {"input 'pads' must be an int64 tensor"});
}

TEST(Pad, ConstantValueOfAnotherTypeIsRefused) {
  // Its bytes would be read as the data's type.
  expect_error<ModelError>(
      [] {
        run(make_node("Pad", 3), 13,
            {t<double>({1}, {1}), i64({1, 1}), Tensor::scalar<float>(2.f)});
      },
      {"input 'constant_value' is float32"});
}

}  // namespace sinter::test
