// ConvInteger: hand-computed groups, padding (which reads as the zero point), 1-D strides and
// dilations, auto_pad, per-channel weight zero points over every int8/uint8 pairing, sums past
// int32 wrapping modulo 2^32, random cases against the float Conv of the dequantized operands,
// and malformed zero points.
#include <gtest/gtest.h>

#include "integer_op_test_util.h"

namespace sinter::test {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

Node conv_integer(size_t inputs, Attrs attrs = {}, std::vector<bool> present = {}) {
  return make_node("ConvInteger", inputs, 1, std::move(attrs), std::move(present));
}

TEST(ConvInteger, GroupsWithPerChannelWeightZeroPoints) {
  // Group 0 (channels 0, 1) feeds output 0, group 1 (channels 2, 3) output 1.
  Tensor x = t<uint8_t>({1, 4, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40, 0, 1, 0, 1});
  Tensor w = t<int8_t>({2, 2, 1, 1}, {2, -1, 1, 3});
  Tensor x_zp = Tensor::scalar<uint8_t>(1), w_zp = t<int8_t>({2}, {0, 1});
  // Output 0: 2 (c0 - 1) - (c1 - 1); output 1: 0 (c2 - 1) + 2 (c3 - 1).
  expect_tensor<int32_t>(run(conv_integer(4, {{"group", int64_t{2}}}), 10, {x, w, x_zp, w_zp})[0],
                         {1, 2, 2, 2}, {-4, -3, -2, -1, -2, 0, -2, 0});
}

// Float Conv runs 3-D windows; the integer convolutions do not, and say so rather than run a
// 2-D kernel over a 3-D tensor.
TEST(ConvInteger, ThreeDimensionalWindowsAreRefusedByName) {
  Tensor x(DType::kUint8, {1, 1, 2, 2, 2}), w(DType::kUint8, {1, 1, 1, 1, 1});
  try {
    run(conv_integer(2), 10, {x, w});
    FAIL() << "ran";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("3-D convolution is not supported (1-D to 2-D are)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ConvInteger, PaddingReadsAsTheZeroPoint) {
  Tensor x = t<uint8_t>({1, 1, 2, 2}, {3, 4, 5, 6});
  Tensor w = t<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  // x - 3 = [[0, 1], [2, 3]] padded with zeros all round, summed over 2x2 windows.
  expect_tensor<int32_t>(
      run(conv_integer(3, {{"pads", Ints{1, 1, 1, 1}}}), 10, {x, w, Tensor::scalar<uint8_t>(3)})[0],
      {1, 1, 3, 3}, {0, 1, 1, 2, 6, 4, 2, 5, 3});
}

TEST(ConvInteger, OneDimensionalStridesAndDilations) {
  Tensor x = t<int8_t>({1, 1, 7}, {-3, -2, -1, 0, 1, 2, 3});
  Tensor w = t<int8_t>({1, 1, 2}, {1, 2});
  // Windows at 0, 2, 4 reading x[i] and x[i + 2]: (x[i] + 1) + 2 (x[i + 2] + 1).
  expect_tensor<int32_t>(run(conv_integer(3, {{"strides", Ints{2}}, {"dilations", Ints{2}}}), 10,
                             {x, w, Tensor::scalar<int8_t>(-1)})[0],
                         {1, 1, 3}, {-2, 4, 10});
}

TEST(ConvInteger, AutoPadSameUpperAndLower) {
  Tensor x = t<uint8_t>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = t<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  // The odd pad goes after the input (SAME_UPPER) or before it (SAME_LOWER).
  expect_tensor<int32_t>(
      run(conv_integer(2, {{"auto_pad", std::string("SAME_UPPER")}}), 10, {x, w})[0], {1, 1, 3, 3},
      {8, 12, 7, 20, 24, 13, 13, 15, 8});
  expect_tensor<int32_t>(
      run(conv_integer(2, {{"auto_pad", std::string("SAME_LOWER")}}), 10, {x, w})[0], {1, 1, 3, 3},
      {0, 1, 3, 3, 8, 12, 9, 20, 24});
}

TEST(ConvInteger, OmittedZeroPointsAreZero) {
  Tensor x = t<int8_t>({1, 1, 1, 2}, {-128, 127});
  Tensor w = t<uint8_t>({1, 1, 1, 2}, {255, 2});
  const Tensor zero = Tensor::scalar<uint8_t>(0);
  expect_tensor<int32_t>(run(conv_integer(2), 10, {x, w})[0], {1, 1, 1, 1}, {-128 * 255 + 254});
  // Only w's zero point given: x's slot left empty.
  expect_tensor<int32_t>(
      run(conv_integer(4, {}, {true, true, false, true}), 10, {x, w, Tensor(), zero})[0],
      {1, 1, 1, 1}, {-128 * 255 + 254});
}

TEST(ConvInteger, SumsPastInt32WrapModulo2To32) {
  // 40000 terms of 255 * (-128 - 127): -2'601'000'000, which is 1'693'967'296 modulo 2^32.
  const int64_t k = 40000;
  Tensor x(DType::kUint8, {1, 1, 1, k}), w(DType::kInt8, {1, 1, 1, k});
  std::fill_n(x.data<uint8_t>(), k, uint8_t{255});
  std::fill_n(w.data<int8_t>(), k, int8_t{-128});
  expect_tensor<int32_t>(
      run(conv_integer(4), 10, {x, w, Tensor::scalar<uint8_t>(0), Tensor::scalar<int8_t>(127)})[0],
      {1, 1, 1, 1}, {1693967296});
}

// The float Conv of (x - x_zero_point) and (w - w_zero_point[m]): exact, every value an integer
// below 2^24 for these sizes.
Tensor float_conv_of_dequantized(const Tensor& x, int32_t x_zp, const Tensor& w,
                                 const std::vector<int32_t>& w_zp, const Attrs& attrs) {
  Tensor xf(DType::kFloat32, x.shape()), wf(DType::kFloat32, w.shape());
  for (int64_t i = 0; i < x.numel(); ++i)
    xf.data<float>()[i] = static_cast<float>(x.value_as_double(i) - x_zp);
  const int64_t per_channel = w.numel() / w.dim(0);
  for (int64_t i = 0; i < w.numel(); ++i)
    wf.data<float>()[i] = static_cast<float>(w.value_as_double(i) - w_zp[i / per_channel]);
  return run(make_node("Conv", 2, 1, attrs), 13, {xf, wf})[0];
}

template <class TX, class TW>
void check_random_cases(std::mt19937& rng) {
  struct Case {
    Shape x, w;
    Attrs attrs;
  };
  const Case cases[] = {
      {{2, 3, 6, 7}, {4, 3, 3, 3}, {{"pads", Ints{1, 0, 2, 1}}}},
      {{1, 6, 7, 7}, {4, 3, 3, 2}, {{"group", int64_t{2}}, {"strides", Ints{2, 1}}}},
      {{1, 4, 9, 9}, {4, 1, 3, 3}, {{"group", int64_t{4}}, {"dilations", Ints{2, 2}}}},
      {{1, 2, 5, 6}, {3, 2, 2, 2}, {{"auto_pad", std::string("SAME_LOWER")}}},
      {{3, 2, 11}, {5, 2, 4}, {{"pads", Ints{2, 3}}, {"strides", Ints{3}}}},
  };
  for (const Case& c : cases) {
    Tensor x = random_8bit<TX>(c.x, rng), w = random_8bit<TW>(c.w, rng);
    Tensor x_zp = random_8bit<TX>({}, rng), w_zp = random_8bit<TW>({c.w[0]}, rng);
    std::vector<int32_t> w_zps(w_zp.data<TW>(), w_zp.data<TW>() + c.w[0]);
    Tensor want = float_conv_of_dequantized(x, x_zp.data<TX>()[0], w, w_zps, c.attrs);
    Tensor got = run(conv_integer(4, c.attrs), 10, {x, w, x_zp, w_zp})[0];
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < got.numel(); ++i)
      ASSERT_EQ(got.data<int32_t>()[i], want.data<float>()[i]) << shape_str(c.x) << " at " << i;
  }
}

TEST(ConvInteger, EveryTypePairingMatchesFloatConvOfDequantizedOperands) {
  std::mt19937 rng(7);
  check_random_cases<uint8_t, uint8_t>(rng);
  check_random_cases<uint8_t, int8_t>(rng);
  check_random_cases<int8_t, uint8_t>(rng);
  check_random_cases<int8_t, int8_t>(rng);
}

TEST(ConvInteger, BadZeroPointsNameTheNodeAndInput) {
  Tensor x = t<uint8_t>({1, 2, 3, 3}, std::vector<uint8_t>(18, 1));
  Tensor w = t<int8_t>({3, 2, 1, 1}, {1, 2, 3, 4, 5, 6});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(3), 10, {x, w, Tensor::scalar<int8_t>(0)});
      },
      {"x_zero_point must be uint8 like x, got int8"});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(3), 10, {x, w, Tensor::scalar<int32_t>(300)});
      },
      {"x_zero_point must be uint8 like x, got int32"});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(3), 10, {x, w, t<uint8_t>({2}, {0, 0})});
      },
      {"x_zero_point must hold one value (per-tensor), got shape [2]"});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(4), 10, {x, w, Tensor::scalar<uint8_t>(0), t<int8_t>({2}, {0, 0})});
      },
      {"w_zero_point must hold one value or 3 (one per output channel), got shape [2]"});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(4), 10, {x, w, Tensor::scalar<uint8_t>(0), t<int8_t>({3, 1}, {0, 0, 0})});
      },
      {"w_zero_point must hold one value or 3"});
  expect_error<ModelError>(
      [&] {
        run(conv_integer(2), 10, {iota_f({1, 2, 3, 3}), w});
      },
      {"x must be int8 or uint8, got float32"});
  // Per-channel zero points fed at run time: the kernel checks them.
  expect_error<ModelError>(
      [&] {
        run_values_unknown(conv_integer(4), 10,
                           {x, w, Tensor::scalar<uint8_t>(0), t<int8_t>({2}, {0, 0})});
      },
      {"w_zero_point must hold one value or 3"});
}

TEST(ConvInteger, InfersInt32OutputShape) {
  auto out = infer(conv_integer(2, {{"strides", Ints{2, 2}}}), 10,
                   {vt(DType::kInt8, {2, 3, 9, 8}), vt(DType::kUint8, {5, 3, 3, 3})});
  EXPECT_EQ(out[0].dtype, DType::kInt32);
  EXPECT_EQ(out[0].shape, (Shape{2, 5, 4, 3}));
}

}  // namespace
}  // namespace sinter::test
