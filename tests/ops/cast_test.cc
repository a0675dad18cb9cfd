#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

Node cast_to(int64_t onnx_type) { return make_node("Cast", 1, 1, {{"to", onnx_type}}); }

TEST(Cast, FloatToIntsTruncates) {
  Tensor x = t<float>({3}, {1.7f, -2.5f, 0.f});
  expect_tensor<int32_t>(run(cast_to(6), 13, {x})[0], {3}, {1, -2, 0});
  expect_tensor<int64_t>(run(cast_to(7), 13, {x})[0], {3}, {1, -2, 0});
  expect_tensor<bool>(run(cast_to(9), 13, {x})[0], {3}, {true, true, false});
  expect_tensor<double>(run(cast_to(11), 13, {x})[0], {3}, {1.7f, -2.5f, 0.f});
}

TEST(Cast, IntsAndBool) {
  expect_tensor<float>(run(cast_to(1), 13, {t<bool>({2}, {true, false})})[0], {2}, {1, 0});
  expect_tensor<uint8_t>(run(cast_to(2), 13, {t<int64_t>({2}, {200, 3})})[0], {2}, {200, 3});
  expect_tensor<int16_t>(run(cast_to(5), 13, {t<int8_t>({2}, {-3, 4})})[0], {2}, {-3, 4});
  expect_tensor<int8_t>(run(cast_to(3), 13, {t<int8_t>({1}, {-3})})[0], {1}, {-3});
}

TEST(Cast, Float16RoundTrip) {
  Tensor x = t<float>({6}, {1.f, -2.5f, 65504.f, 1e-7f, 0.1f, 1e6f});
  Tensor h = run(cast_to(10), 13, {x})[0];
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  const auto* bits = static_cast<const uint16_t*>(h.raw());
  EXPECT_EQ(bits[0], 0x3c00);
  EXPECT_EQ(bits[1], 0xc100);
  EXPECT_EQ(bits[2], 0x7bff);
  EXPECT_EQ(bits[3], 0x0002);  // subnormal
  EXPECT_EQ(bits[4], 0x2e66);
  EXPECT_EQ(bits[5], 0x7c00);  // overflow to inf
  Tensor back = run(cast_to(1), 13, {h})[0];
  EXPECT_EQ(back.data<float>()[0], 1.f);
  EXPECT_EQ(back.data<float>()[1], -2.5f);
  EXPECT_EQ(back.data<float>()[2], 65504.f);
  EXPECT_NEAR(back.data<float>()[3], 1.19e-7f, 1e-9f);
  EXPECT_NEAR(back.data<float>()[4], 0.1f, 1e-4f);
}

TEST(Cast, UnsupportedTarget) {
  expect_node_error([] { run(cast_to(8), 13, {iota_f({1})}); }, "attribute 'to' = 8");
  expect_node_error([] { run(make_node("Cast", 1), 13, {iota_f({1})}); }, "to");
}

// Out-of-range floats and NaN saturate instead of the undefined behaviour of a plain cast.
TEST(Cast, FloatToIntSaturates) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x =
      t<float>({6}, {std::numeric_limits<float>::quiet_NaN(), inf, -inf, 1e20f, -1e20f, 3e9f});
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  expect_tensor<int32_t>(run(cast_to(6), 13, {x})[0], {6},
                         {0, kMax32, kMin32, kMax32, kMin32, kMax32});
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  expect_tensor<int64_t>(run(cast_to(7), 13, {x})[0], {6},
                         {0, kMax64, kMin64, kMax64, kMin64, 3000000000});
  expect_tensor<uint8_t>(run(cast_to(2), 13, {t<double>({3}, {-1.5, 300, 254.9})})[0], {3},
                         {0, 255, 254});
}

TEST(Cast, HostileTargetNamesTheAttribute) {
  for (int64_t to : {int64_t{8}, int64_t{-1}, std::numeric_limits<int64_t>::max()})
    expect_error<UnsupportedError>([&] { run(cast_to(to), 13, {iota_f({1})}); },
                                   {"attribute 'to' = " + std::to_string(to)});
}

}  // namespace sinter::test
