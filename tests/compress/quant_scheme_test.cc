// Integer ranges of each scheme and the checks that name what is wrong with a bad one.
#include "compress/quant_scheme.h"

#include <gtest/gtest.h>

#include "quant_test_util.h"

namespace sinter {
namespace {

using quant_test::expect_error;

TEST(QuantScheme, IntRanges) {
  EXPECT_EQ(int_range(8, true).lo, -127);
  EXPECT_EQ(int_range(8, true).hi, 127);
  EXPECT_EQ(int_range(8, false).lo, -128);
  EXPECT_EQ(int_range(8, false).hi, 127);
  EXPECT_EQ(int_range(4, true).lo, -7);
  EXPECT_EQ(int_range(4, true).hi, 7);
  EXPECT_EQ(int_range(4, false).lo, -8);
  EXPECT_EQ(int_range(4, false).hi, 7);
}

TEST(QuantScheme, NegativeAxesBecomePositive) {
  QuantScheme s;
  s.granularity = QuantGranularity::kVector;
  s.vector_axis = -3;
  s.channel_axis = -4;
  s.scale_bits = 4;
  const QuantScheme c = checked_scheme(s, {8, 32, 3, 3}, "conv1.weight");
  EXPECT_EQ(c.vector_axis, 1);
  EXPECT_EQ(c.channel_axis, 0);
}

TEST(QuantScheme, BadSchemesNameTheField) {
  const Shape conv{8, 32, 3, 3};
  QuantScheme s;
  s.bits = 3;
  expect_error<InputError>([&] { checked_scheme(s, conv, "conv1.weight"); },
                           {"conv1.weight", "bits must be 4 or 8, got 3"});
  s = {};
  s.channel_axis = 4;
  expect_error<InputError>([&] { checked_scheme(s, conv, "w"); },
                           {"channel axis 4 is out of range for shape [8,32,3,3]"});
  expect_error<InputError>([&] { checked_scheme(QuantScheme{}, {}, "bias"); },
                           {"bias", "channel axis 0"});
  s = {};
  s.granularity = QuantGranularity::kVector;
  s.vector_axis = -5;
  expect_error<InputError>([&] { checked_scheme(s, conv, "w"); }, {"vector axis -5"});
  s.vector_axis = 1;
  s.vector_size = 0;
  expect_error<InputError>([&] { checked_scheme(s, conv, "w"); },
                           {"vector size must be at least 1, got 0"});
  s.vector_size = 24;
  expect_error<InputError>([&] { checked_scheme(s, conv, "fc.weight"); },
                           {"fc.weight", "vector size 24 does not divide the 32 elements"});
  s.vector_size = 16;
  s.scale_bits = 1;
  expect_error<InputError>([&] { checked_scheme(s, conv, "w"); }, {"scale bits", "got 1"});
  s.scale_bits = 4;
  s.channel_axis = 1;
  expect_error<InputError>([&] { checked_scheme(s, conv, "w"); },
                           {"channel axis other than the vector axis 1"});
}

}  // namespace
}  // namespace sinter
