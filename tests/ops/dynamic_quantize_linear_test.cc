// DynamicQuantizeLinear: ties to even on a range whose scale is exactly 1, ranges that must
// include zero (zero point 0 or 255), all-zero and empty tensors (ONNX's reference scale 1 / 255),
// the same values as QuantizeLinear with the returned parameters, and inputs that leave no finite
// scale.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "integer_op_test_util.h"
#include "math_op_test_util.h"

namespace sinter::test {
namespace {

Node dynamic_quantize() { return make_node("DynamicQuantizeLinear", 1, 3); }

TEST(DynamicQuantizeLinear, TiesRoundToEvenBeforeTheZeroPoint) {
  // Range [-100, 155]: scale 255 / 255 = 1, zero point 100.
  Tensor x = t<float>({7}, {-100.f, 155.f, 0.5f, 1.5f, -0.5f, 2.5f, -1.5f});
  const std::vector<Tensor> out = run(dynamic_quantize(), 11, {x});
  expect_tensor<uint8_t>(out[0], {7}, {0, 255, 100, 102, 100, 102, 98});
  expect_tensor<float>(out[1], {}, {1.f});
  expect_tensor<uint8_t>(out[2], {}, {100});
}

TEST(DynamicQuantizeLinear, RangeAlwaysHoldsZero) {
  // Only positive values: the range is [0, 5.1], the zero point 0.
  std::vector<Tensor> out = run(dynamic_quantize(), 11, {t<float>({2, 2}, {5.1f, 1.f, 2.f, 3.f})});
  EXPECT_EQ(out[1].data<float>()[0], 5.1f / 255.f);
  expect_tensor<uint8_t>(out[2], {}, {0});
  expect_tensor<uint8_t>(out[0], {2, 2}, {255, 50, 100, 150});
  // Only negative values: the range is [-5.1, 0], the zero point 255.
  out = run(dynamic_quantize(), 11, {t<float>({2}, {-5.1f, -1.f})});
  EXPECT_EQ(out[1].data<float>()[0], 5.1f / 255.f);
  expect_tensor<uint8_t>(out[2], {}, {255});
  expect_tensor<uint8_t>(out[0], {2}, {0, 205});
}

TEST(DynamicQuantizeLinear, EmptyRangeTakesTheReferenceScale) {
  for (const Tensor& x : {t<float>({3}, {0.f, 0.f, -0.f}), Tensor(DType::kFloat32, {0, 4})}) {
    const std::vector<Tensor> out = run(dynamic_quantize(), 11, {x});
    EXPECT_EQ(out[0].shape(), x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(out[0].data<uint8_t>()[i], 0);
    expect_tensor<float>(out[1], {}, {1.f / 255.f});
    expect_tensor<uint8_t>(out[2], {}, {0});
  }
}

TEST(DynamicQuantizeLinear, EqualsQuantizeLinearWithTheReturnedParameters) {
  Tensor x = sinter::testing::random_tensor({3, 50}, 17, -3.f, 7.f);
  const std::vector<Tensor> out = run(dynamic_quantize(), 11, {x});
  const Tensor y = run(make_node("QuantizeLinear", 3), 13, {x, out[1], out[2]})[0];
  ASSERT_EQ(std::memcmp(y.raw(), out[0].raw(), y.nbytes()), 0);
}

TEST(DynamicQuantizeLinear, NoFiniteScaleIsANumericErrorNamingTheNode) {
  const float inf = std::numeric_limits<float>::infinity();
  expect_error<NumericError>(
      [&] {
        run(dynamic_quantize(), 11, {t<float>({3}, {1.f, std::nanf(""), 2.f})});
      },
      {"x holds NaN at index 1"});
  expect_error<NumericError>(
      [&] {
        run(dynamic_quantize(), 11, {t<float>({2}, {1.f, -inf})});
      },
      {"x holds an infinity at index 1"});
  const float big = std::numeric_limits<float>::max();
  expect_error<NumericError>(
      [&] {
        run(dynamic_quantize(), 11, {t<float>({2}, {big, -big})});
      },
      {"the range of x is wider than float32 holds"});
}

TEST(DynamicQuantizeLinear, InfersUint8AndScalarParameters) {
  const auto out = infer(dynamic_quantize(), 11, {vt(DType::kFloat32, {2, 5})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].dtype, DType::kUint8);
  EXPECT_EQ(out[0].shape, (Shape{2, 5}));
  EXPECT_EQ(out[1].dtype, DType::kFloat32);
  EXPECT_EQ(out[1].shape, Shape{});
  EXPECT_EQ(out[2].dtype, DType::kUint8);
  EXPECT_EQ(out[2].shape, Shape{});
  expect_error<ModelError>([] { infer(dynamic_quantize(), 11, {vt(DType::kUint8, {2})}); },
                           {"x must be float32, got uint8"});
  expect_error<ModelError>(
      [] { infer(make_node("DynamicQuantizeLinear", 1, 1), 11, {vt(DType::kFloat32, {2})}); },
      {"expects 1 input and 3 outputs, got 1 and 1"});
}

}  // namespace
}  // namespace sinter::test
