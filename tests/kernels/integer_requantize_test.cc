// requantize_reference: ties that only exact arithmetic sees (in float, a multiplier 0.5 / 7
// rounded first turns 91 * 0.5 / 7 = 6.5 into 6.5000005, which rounds up), the zero point added
// after rounding, and saturation for sums of any size.
#include <gtest/gtest.h>

#include <limits>

#include "kernels/integer/requantize_reference.h"

namespace sinter::kernels {
namespace {

constexpr IntRange kUint8{0, 255}, kInt8{-128, 127};

TEST(IntegerRequantize, TiesRoundToEvenExactly) {
  // input_scale 0.5, y_scale 3: sum / 6, which is 0.5, 1.5, 2.5 and -2.5 here.
  EXPECT_EQ(requantize_reference(3, 0.5, 3.0, 0, kUint8), 0);
  EXPECT_EQ(requantize_reference(9, 0.5, 3.0, 0, kUint8), 2);
  EXPECT_EQ(requantize_reference(15, 0.5, 3.0, 0, kUint8), 2);
  EXPECT_EQ(requantize_reference(-15, 0.5, 3.0, 0, kInt8), -2);
  // 0.5 / 7 has no exact binary value, yet 91 * 0.5 / 7 is 6.5 and 175 * 0.5 / 7 is 12.5.
  EXPECT_EQ(requantize_reference(91, 0.5, 7.0, 0, kUint8), 6);
  EXPECT_EQ(requantize_reference(175, 0.5, 7.0, 0, kUint8), 12);
  // Float scales: 5 * 0.3f * 0.5 / 0.3f is 2.5 exactly, 7 * 0.3f * 0.5 / 0.3f 3.5.
  EXPECT_EQ(requantize_reference(5, double{0.3f} * 0.5, double{0.3f}, 0, kUint8), 2);
  EXPECT_EQ(requantize_reference(7, double{0.3f} * 0.5, double{0.3f}, 0, kUint8), 4);
}

TEST(IntegerRequantize, ZeroPointIsAddedAfterRounding) {
  // 0.5 rounds to 0, then 1 is added: 1 (adding first would round 1.5 to 2).
  EXPECT_EQ(requantize_reference(3, 0.5, 3.0, 1, kUint8), 1);
  EXPECT_EQ(requantize_reference(-3, 0.5, 3.0, -3, kInt8), -3);
}

TEST(IntegerRequantize, SaturatesForSumsOfAnySize) {
  const int64_t huge = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(requantize_reference(huge, 1e30, 1e-30, 0, kUint8), 255);
  EXPECT_EQ(requantize_reference(-huge, 1e30, 1e-30, 0, kUint8), 0);
  EXPECT_EQ(requantize_reference(1000, 1.0, 1.0, -100, kInt8), 127);
  EXPECT_EQ(requantize_reference(-1000, 1.0, 1.0, 100, kInt8), -128);
  EXPECT_EQ(requantize_reference(-1, 1.0, 1.0, 0, kUint8), 0);
  EXPECT_EQ(requantize_reference(200, 1.0, 1.0, 55, kUint8), 255);
  EXPECT_EQ(requantize_reference(200, 1.0, 1.0, 56, kUint8), 255);
  EXPECT_EQ(requantize_reference(199, 1.0, 1.0, 56, kUint8), 255);
  EXPECT_EQ(requantize_reference(198, 1.0, 1.0, 56, kUint8), 254);
}

}  // namespace
}  // namespace sinter::kernels
