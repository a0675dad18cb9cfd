// QLinearConv: hand-computed requantization (ties to even before the zero point is added,
// saturation both ways, per-channel scales), per-channel weight zero points with a bias, random
// cases over every int8/uint8 pairing against the float Conv of the dequantized operands, and
// malformed scales and zero points, known before running and fed at run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "integer_op_test_util.h"
#include "ir/graph_builder.h"
#include "math_op_test_util.h"
#include "runtime/session.h"

namespace sinter::test {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

Node qlinear_conv(size_t inputs = 8, Attrs attrs = {}) {
  return make_node("QLinearConv", inputs, 1, std::move(attrs));
}

TEST(QLinearConv, PerChannelScalesTiesAndSaturation) {
  // x - x_zero_point = 5, so each 1x1 filter's sum is 5 w; times x_scale 0.5 and w_scale[m]:
  // 2.5, 3.75, 25, -2.5, 1270, -1280. Ties round to even (2, -2) before y_zero_point 1 is added.
  Tensor x = t<uint8_t>({1, 1, 1, 1}, {10});
  Tensor w = t<int8_t>({6, 1, 1, 1}, {1, 3, 5, -1, 127, -128});
  Tensor w_scale = t<float>({6}, {1.f, 0.5f, 2.f, 1.f, 4.f, 4.f});
  const std::vector<Tensor> in = {
      x,       Tensor::scalar(0.5f),      Tensor::scalar<uint8_t>(5), w,
      w_scale, Tensor::scalar<int8_t>(0), Tensor::scalar(1.f),        Tensor::scalar<int8_t>(1)};
  expect_tensor<int8_t>(run(qlinear_conv(), 10, in)[0], {1, 6, 1, 1}, {3, 5, 26, -1, 127, -128});
}

TEST(QLinearConv, PerChannelWeightZeroPointsAndBias) {
  // x - 2: c0 [2, -4], c1 [-2, 4]; w - w_zero_point: m0 [2, -2], m1 [-127, 128].
  // Sums plus bias: m0 [18, -6], m1 [-530, 1000].
  Tensor x = t<int8_t>({1, 2, 1, 2}, {4, -2, 0, 6});
  Tensor w = t<uint8_t>({2, 2, 1, 1}, {130, 126, 0, 255});
  Tensor w_zp = t<uint8_t>({2}, {128, 127});
  Tensor bias = t<int32_t>({2}, {10, -20});
  auto inputs = [&](float y_scale) {
    return std::vector<Tensor>{
        x,    Tensor::scalar(0.25f),   Tensor::scalar<int8_t>(2),    w,   t<float>({1}, {1.f}),
        w_zp, Tensor::scalar(y_scale), Tensor::scalar<uint8_t>(100), bias};
  };
  // Times 0.25 / 2: 2.25, -0.75, -66.25, 125.
  expect_tensor<uint8_t>(run(qlinear_conv(9), 10, inputs(2.f))[0], {1, 2, 1, 2},
                         {102, 99, 34, 225});
  // Times 0.25 / 0.5: 9, -3, -265, 500, which saturate at 0 and 255 after the zero point.
  expect_tensor<uint8_t>(run(qlinear_conv(9), 10, inputs(0.5f))[0], {1, 2, 1, 2},
                         {109, 97, 0, 255});
}

// y = saturate(round_half_even(sum * x_scale * w_scale[m] / y_scale) + y_zero_point) with the
// sums from the float Conv of the dequantized integers (exact at these sizes).
template <class TX, class TW, class TY>
void check_random_case(const Shape& xs, const Shape& ws, const Attrs& attrs, bool per_channel,
                       std::mt19937& rng) {
  const int64_t M = ws[0];
  Tensor x = random_8bit<TX>(xs, rng), w = random_8bit<TW>(ws, rng);
  Tensor x_zp = random_8bit<TX>({}, rng), y_zp = random_8bit<TY>({}, rng);
  Tensor w_zp = random_8bit<TW>({per_channel ? M : 1}, rng);
  Tensor w_scale(DType::kFloat32, {per_channel ? M : 1});
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  for (int64_t m = 0; m < w_scale.numel(); ++m) w_scale.data<float>()[m] = scale(rng);
  Tensor bias(DType::kInt32, {M});
  for (int64_t m = 0; m < M; ++m)
    bias.data<int32_t>()[m] = static_cast<int32_t>(rng() % 20001) - 10000;
  const float x_scale = scale(rng), y_scale = scale(rng) * 8;

  Tensor xf(DType::kFloat32, xs), wf(DType::kFloat32, ws);
  for (int64_t i = 0; i < x.numel(); ++i)
    xf.data<float>()[i] = static_cast<float>(x.value_as_double(i) - x_zp.value_as_double(0));
  const int64_t per_filter = w.numel() / M;
  for (int64_t i = 0; i < w.numel(); ++i)
    wf.data<float>()[i] = static_cast<float>(
        w.value_as_double(i) - w_zp.value_as_double(per_channel ? i / per_filter : 0));
  Tensor bf(DType::kFloat32, {M});
  for (int64_t m = 0; m < M; ++m) bf.data<float>()[m] = static_cast<float>(bias.data<int32_t>()[m]);
  const Tensor sums = run(make_node("Conv", 3, 1, attrs), 13, {xf, wf, bf})[0];

  const Tensor got = run(
      qlinear_conv(9, attrs), 10,
      {x, Tensor::scalar(x_scale), x_zp, w, w_scale, w_zp, Tensor::scalar(y_scale), y_zp, bias})[0];
  ASSERT_EQ(got.dtype(), dtype_of<TY>());
  ASSERT_EQ(got.shape(), sums.shape());
  const int64_t plane = got.numel() / (got.dim(0) * M);
  const double lo = std::numeric_limits<TY>::min(), hi = std::numeric_limits<TY>::max();
  for (int64_t i = 0; i < got.numel(); ++i) {
    const int64_t m = i / plane % M;
    const double multiplier =
        double{x_scale} * w_scale.data<float>()[per_channel ? m : 0] / double{y_scale};
    const double want = std::clamp(
        std::nearbyint(double{sums.data<float>()[i]} * multiplier) + y_zp.value_as_double(0), lo,
        hi);
    ASSERT_EQ(got.value_as_double(i), want) << shape_str(xs) << " at " << i;
  }
}

template <class TX, class TW, class TY>
void check_random_cases(std::mt19937& rng) {
  for (bool per_channel : {false, true}) {
    check_random_case<TX, TW, TY>({2, 3, 6, 7}, {4, 3, 3, 3}, {{"pads", Ints{1, 0, 2, 1}}},
                                  per_channel, rng);
    check_random_case<TX, TW, TY>({1, 6, 7, 7}, {4, 3, 3, 2},
                                  {{"group", int64_t{2}}, {"strides", Ints{2, 1}}}, per_channel,
                                  rng);
    check_random_case<TX, TW, TY>(
        {1, 4, 9, 9}, {8, 1, 3, 3},
        {{"group", int64_t{4}}, {"dilations", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}},
        per_channel, rng);
    check_random_case<TX, TW, TY>({3, 2, 11}, {5, 2, 4},
                                  {{"pads", Ints{2, 3}}, {"strides", Ints{3}}}, per_channel, rng);
  }
}

TEST(QLinearConv, EveryTypePairingMatchesFloatConvOfDequantizedOperands) {
  std::mt19937 rng(11);
  check_random_cases<uint8_t, int8_t, uint8_t>(rng);
  check_random_cases<uint8_t, uint8_t, int8_t>(rng);
  check_random_cases<int8_t, int8_t, int8_t>(rng);
  check_random_cases<int8_t, uint8_t, uint8_t>(rng);
}

// A QOperator model as converters write it: QuantizeLinear, QLinearConv with per-channel int8
// weights and an int32 bias, DequantizeLinear. Equal to the float Conv of the dequantized
// operands requantized, with the optimizer on and off.
TEST(QLinearConv, QuantizedModelRunsInASession) {
  GraphBuilder b(13);
  const std::string x = b.input("x", DType::kFloat32, {1, 2, 5, 5});
  const std::string x_scale = b.weight("x_scale", Tensor::scalar(0.05f));
  const std::string x_zp = b.weight("x_zp", Tensor::scalar<uint8_t>(128));
  const std::string y_scale = b.weight("y_scale", Tensor::scalar(0.1f));
  const std::string y_zp = b.weight("y_zp", Tensor::scalar<uint8_t>(100));
  const Tensor qw = t<int8_t>({3, 2, 2, 2}, {1,  -2, 3,  -4, 5,  -6, 7,   -8, 10, 20,   30, 40,
                                             50, 60, 70, 80, -1, -1, 127, 0,  0,  -128, 2,  2});
  const Tensor w_scale = t<float>({3}, {0.5f, 0.01f, 0.2f});
  const Tensor bias = t<int32_t>({3}, {40, -100, 0});
  const std::string qx = b.node("QuantizeLinear", {x, x_scale, x_zp});
  const std::string qy =
      b.node("QLinearConv",
             {qx, x_scale, x_zp, b.weight("qw", qw), b.weight("w_scale", w_scale),
              b.weight("w_zp", t<int8_t>({3}, {0, 0, 0})), y_scale, y_zp, b.weight("bias", bias)},
             {{"pads", Ints{1, 1, 0, 0}}, {"strides", Ints{2, 1}}});
  b.output(b.node("DequantizeLinear", {qy, y_scale, y_zp}));
  const Graph g = b.build();
  const Tensor xin = sinter::testing::random_tensor({1, 2, 5, 5}, 29, -6.f, 6.f);

  // By hand: x's integers, the float Conv of the dequantized integers, requantized.
  const Tensor qxin = run(make_node("QuantizeLinear", 3), 13,
                          {xin, Tensor::scalar(0.05f), Tensor::scalar<uint8_t>(128)})[0];
  Tensor xf(DType::kFloat32, qxin.shape()), wf(DType::kFloat32, qw.shape()),
      bf(DType::kFloat32, {3});
  for (int64_t i = 0; i < xf.numel(); ++i) xf.data<float>()[i] = qxin.data<uint8_t>()[i] - 128.f;
  for (int64_t i = 0; i < wf.numel(); ++i) wf.data<float>()[i] = qw.data<int8_t>()[i];
  for (int64_t i = 0; i < 3; ++i) bf.data<float>()[i] = static_cast<float>(bias.data<int32_t>()[i]);
  const Tensor sums =
      run(make_node("Conv", 3, 1, {{"pads", Ints{1, 1, 0, 0}}, {"strides", Ints{2, 1}}}), 13,
          {xf, wf, bf})[0];
  ASSERT_EQ(sums.shape(), (Shape{1, 3, 3, 5}));
  std::vector<double> want;
  for (int64_t i = 0; i < sums.numel(); ++i) {
    const double multiplier = double{0.05f} * w_scale.data<float>()[i / 15] / double{0.1f};
    const double q =
        std::clamp(std::nearbyint(sums.data<float>()[i] * multiplier) + 100, 0.0, 255.0);
    want.push_back(static_cast<float>(q - 100) * 0.1f);
  }
  for (bool optimize : {false, true}) {
    Session session(g, {1, optimize});
    sinter::testing::expect_values(session.run({{"x", xin}})[0], want, 1e-6);
  }
}

// A valid 2-channel problem whose input `i` is replaced by `value`.
std::vector<Tensor> with_input(size_t i, Tensor value) {
  std::vector<Tensor> in = {t<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4}),
                            Tensor::scalar(0.5f),
                            Tensor::scalar<uint8_t>(0),
                            t<int8_t>({2, 1, 1, 1}, {1, -1}),
                            t<float>({2}, {0.5f, 0.25f}),
                            t<int8_t>({2}, {0, 0}),
                            Tensor::scalar(1.f),
                            Tensor::scalar<uint8_t>(0),
                            t<int32_t>({2}, {0, 0})};
  in[i] = std::move(value);
  return in;
}

struct BadInput {
  size_t input;
  Tensor value;
  std::string message;
};

TEST(QLinearConv, BadScaleValuesNameTheNodeAndInput) {
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  const BadInput cases[] = {
      {1, Tensor::scalar(0.f), "x_scale = 0; a scale must be positive and finite"},
      {1, Tensor::scalar(-0.5f), "x_scale = -0.5; a scale must be positive and finite"},
      {4, t<float>({2}, {0.5f, nan}), "w_scale[1] = nan; a scale must be positive and finite"},
      {4, t<float>({2}, {-1.f, 1.f}), "w_scale[0] = -1; a scale must be positive and finite"},
      {6, Tensor::scalar(inf), "y_scale = inf; a scale must be positive and finite"},
  };
  for (const BadInput& b : cases) {
    // Known before running (initializers): shape inference refuses them.
    expect_error<ModelError>([&] { run(qlinear_conv(9), 10, with_input(b.input, b.value)); },
                             {b.message});
    // Fed or computed at run time: the kernel does.
    expect_error<ModelError>(
        [&] { run_values_unknown(qlinear_conv(9), 10, with_input(b.input, b.value)); },
        {b.message});
  }
}

TEST(QLinearConv, BadScaleShapesAndTypesNameTheNodeAndInput) {
  const BadInput cases[] = {
      {6, Tensor::scalar(1e-50), "y_scale must be float32, got float64"},
      {1, t<float>({2}, {1.f, 1.f}), "x_scale must hold one value (per-tensor), got shape [2]"},
      {4, t<float>({3}, {1.f, 1.f, 1.f}),
       "w_scale must hold one value or 2 (one per output channel), got shape [3]"},
      {4, t<float>({2, 1}, {1.f, 1.f}), "w_scale must hold one value or 2"},
  };
  for (const BadInput& b : cases)
    expect_error<ModelError>([&] { run(qlinear_conv(9), 10, with_input(b.input, b.value)); },
                             {b.message});
}

TEST(QLinearConv, BadZeroPointsAndBiasNameTheNodeAndInput) {
  const std::pair<std::vector<Tensor>, std::string> cases[] = {
      {with_input(2, Tensor::scalar<int8_t>(0)), "x_zero_point must be uint8 like x, got int8"},
      {with_input(2, Tensor::scalar<int32_t>(256)), "x_zero_point must be uint8 like x, got int32"},
      {with_input(5, t<uint8_t>({2}, {0, 0})), "w_zero_point must be int8 like w, got uint8"},
      {with_input(5, t<int8_t>({4}, {0, 0, 0, 0})),
       "w_zero_point must hold one value or 2 (one per output channel), got shape [4]"},
      {with_input(7, Tensor::scalar<int32_t>(0)), "y_zero_point must be int8 or uint8, got int32"},
      {with_input(7, t<uint8_t>({2}, {0, 0})), "y_zero_point must hold one value"},
      {with_input(8, t<int64_t>({2}, {0, 0})), "B must be int32, got int64"},
      {with_input(8, t<int32_t>({3}, {0, 0, 0})), "B must have shape [2], got [3]"},
  };
  for (const auto& [inputs, message] : cases)
    expect_error<ModelError>([&] { run(qlinear_conv(9), 10, inputs); }, {message});
  std::vector<Tensor> seven = with_input(0, t<uint8_t>({1, 1, 1, 1}, {1}));
  seven.resize(7);
  expect_error<ModelError>([&] { run(qlinear_conv(7), 10, seven); },
                           {"expects 8 or 9 inputs, got 7"});
}

TEST(QLinearConv, InfersOutputTypeFromYZeroPoint) {
  std::vector<ValueType> types;
  for (const Tensor& v : with_input(7, Tensor::scalar<int8_t>(0)))
    types.push_back(vt(v.dtype(), v.shape()));
  types[0] = vt(DType::kUint8, {2, 1, 5, 6});
  auto out = infer(qlinear_conv(9, {{"pads", Ints{1, 1, 1, 1}}}), 10, types);
  EXPECT_EQ(out[0].dtype, DType::kInt8);
  EXPECT_EQ(out[0].shape, (Shape{2, 2, 7, 8}));
}

}  // namespace
}  // namespace sinter::test
