// QuantizeLinear/DequantizeLinear: ties and saturation as ONNX defines them, per-tensor and
// per-axis layouts against a direct formula, the fast kernel against the reference, round trips,
// and malformed scales, zero points and axes.
#include <cmath>
#include <limits>
#include <random>

#include "integer_op_test_util.h"
#include "ir/graph_builder.h"
#include "math_op_test_util.h"
#include "runtime/session.h"
#include "shape_op_test_util.h"

namespace sinter::test {
namespace {

Node quantize(std::map<std::string, Attribute> attrs = {}, bool with_zero_point = true) {
  return make_node("QuantizeLinear", with_zero_point ? 3 : 2, 1, std::move(attrs));
}
Node dequantize(std::map<std::string, Attribute> attrs = {}, bool with_zero_point = true) {
  return make_node("DequantizeLinear", with_zero_point ? 3 : 2, 1, std::move(attrs));
}

// The textbook formula, written independently of the kernels: lrint rounds half to even.
int32_t direct_quantize(float x, float scale, int32_t zp, int32_t lo, int32_t hi) {
  const long q = std::lrint(x / scale) + zp;
  return static_cast<int32_t>(std::clamp<long>(q, lo, hi));
}

Tensor random_floats(Shape shape, uint32_t seed, float range) {
  return sinter::testing::random_tensor(std::move(shape), seed, -range, range);
}

TEST(QuantizeLinear, TiesRoundToEvenAndSaturateToUint8ByDefault) {
  // x / 2 = 0.5, 1.5, 2.5, -0.5, 300, 127.5 and 128.5.
  Tensor x = t<float>({7}, {1.f, 3.f, 5.f, -1.f, 600.f, 255.f, 257.f});
  expect_tensor<uint8_t>(run(quantize({}, false), 13, {x, Tensor::scalar(2.f)})[0], {7},
                         {0, 2, 2, 0, 255, 128, 128});
}

TEST(QuantizeLinear, Int8ZeroPointShiftsAfterRounding) {
  Tensor x = t<float>({6}, {0.5f, 1.5f, -2.5f, -200.f, 200.f, 0.f});
  Tensor zp = Tensor::scalar<int8_t>(-3);
  expect_tensor<int8_t>(run(quantize(), 13, {x, Tensor::scalar(1.f), zp})[0], {6},
                        {-3, -1, -5, -128, 127, -3});
}

TEST(QuantizeLinear, NonFiniteInputsSaturate) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = t<float>({3}, {inf, -inf, std::nanf("")});
  Tensor scale = Tensor::scalar(0.1f);
  // NaN goes to the lowest value, as ONNX Runtime's vector code does.
  expect_tensor<int8_t>(run(quantize(), 13, {x, scale, Tensor::scalar<int8_t>(0)})[0], {3},
                        {127, -128, -128});
  expect_tensor<uint8_t>(run(quantize(), 13, {x, scale, Tensor::scalar<uint8_t>(9)})[0], {3},
                         {255, 0, 0});
}

TEST(QuantizeLinear, PerAxisMatchesDirectFormula) {
  const Shape shape{2, 3, 5};
  Tensor x = random_floats(shape, 1, 4.f);
  Tensor scale = t<float>({3}, {0.01f, 0.05f, 0.5f});
  Tensor zp = t<int8_t>({3}, {0, -10, 7});
  for (int64_t axis : {1, -2}) {
    Tensor y = run(quantize({{"axis", axis}}), 13, {x, scale, zp})[0];
    ASSERT_EQ(y.dtype(), DType::kInt8);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / 5) % 3;
      EXPECT_EQ(y.data<int8_t>()[i], direct_quantize(x.data<float>()[i], scale.data<float>()[c],
                                                     zp.data<int8_t>()[c], -128, 127))
          << "at " << i;
    }
  }
}

TEST(QuantizeLinear, Opset10PerTensorAndOneElementScale) {
  Tensor x = t<float>({2, 2}, {0.f, 1.f, 2.f, 3.f});
  expect_tensor<uint8_t>(
      run(quantize(), 10, {x, Tensor::scalar(0.5f), Tensor::scalar<uint8_t>(1)})[0], {2, 2},
      {1, 3, 5, 7});
  // A 1-D scale of one value is per-tensor, at any opset.
  expect_tensor<uint8_t>(run(quantize(), 10, {x, t<float>({1}, {0.5f}), t<uint8_t>({1}, {1})})[0],
                         {2, 2}, {1, 3, 5, 7});
  expect_tensor<uint8_t>(
      run(quantize(), 13, {x, t<float>({1}, {0.5f}), Tensor::scalar<uint8_t>(1)})[0], {2, 2},
      {1, 3, 5, 7});
}

TEST(QuantizeLinear, Int32InputUsesTheReference) {
  Tensor x = t<int32_t>({4}, {1, 3, -3, 1000});
  expect_tensor<int8_t>(run(quantize(), 13, {x, Tensor::scalar(2.f), Tensor::scalar<int8_t>(0)})[0],
                        {4}, {0, 2, -2, 127});
}

TEST(DequantizeLinear, AllInputTypesPerTensor) {
  const Tensor scale = Tensor::scalar(0.5f);
  sinter::testing::expect_values(
      run(dequantize(), 13, {t<int8_t>({3}, {-128, 0, 127}), scale, Tensor::scalar<int8_t>(-1)})[0],
      {-63.5, 0.5, 64});
  sinter::testing::expect_values(
      run(dequantize(), 13,
          {t<uint8_t>({3}, {0, 128, 255}), scale, Tensor::scalar<uint8_t>(128)})[0],
      {-64, 0, 63.5});
  sinter::testing::expect_values(
      run(dequantize({}, false), 10, {t<int32_t>({2}, {-1000000, 7}), scale})[0], {-500000, 3.5});
}

TEST(DequantizeLinear, PerAxisOnLastAxis) {
  Tensor x = t<uint8_t>({2, 2}, {10, 20, 30, 40});
  Tensor y = run(dequantize({{"axis", int64_t{-1}}}), 13,
                 {x, t<float>({2}, {0.1f, 2.f}), t<uint8_t>({2}, {10, 0})})[0];
  sinter::testing::expect_values(y, {0, 40, 2, 80});
}

TEST(QuantizeDequantize, RoundTripErrorIsAtMostHalfAStep) {
  Tensor x = random_floats({4, 8, 9}, 2, 1.f);
  Tensor scale = t<float>({8}, {0.01f, 0.02f, 0.0085f, 0.1f, 0.009f, 0.03f, 0.05f, 0.0087f});
  Tensor zp = t<int8_t>({8}, {0, 1, -2, 3, 0, 0, -1, 5});
  Node q = quantize({{"axis", int64_t{1}}}), dq = dequantize({{"axis", int64_t{1}}});
  Tensor back = run(dq, 13, {run(q, 13, {x, scale, zp})[0], scale, zp})[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float s = scale.data<float>()[(i / 9) % 8];
    EXPECT_LE(std::fabs(back.data<float>()[i] - x.data<float>()[i]), 0.5f * s * (1 + 1e-6f))
        << "at " << i;
  }
  // Quantizing the dequantized values again is the identity on the integers.
  Tensor q1 = run(q, 13, {x, scale, zp})[0];
  Tensor q2 = run(q, 13, {back, scale, zp})[0];
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(q1.data<int8_t>()[i], q2.data<int8_t>()[i]);
}

TEST(QuantizeDequantize, FastKernelsMatchReferenceExactly) {
  std::mt19937 gen(3);
  const std::vector<Shape> shapes = {{1}, {7}, {33}, {3, 17}, {2, 5, 40000}, {64, 3, 3, 3}};
  for (const Shape& shape : shapes) {
    for (int64_t axis = -1; axis < static_cast<int64_t>(shape.size()); ++axis) {
      const bool per_tensor = axis < 0;
      const int64_t channels = per_tensor ? 1 : shape[axis];
      Tensor x = random_floats(shape, gen(), 300.f);
      // Plant exact ties: multiples of half a step.
      for (int64_t i = 0; i < x.numel(); i += 3) x.data<float>()[i] = 0.5f * float(i % 41 - 20);
      Tensor scale(DType::kFloat32, per_tensor ? Shape{} : Shape{channels});
      Tensor zp8(DType::kInt8, scale.shape()), zpu8(DType::kUint8, scale.shape());
      for (int64_t c = 0; c < channels; ++c) {
        scale.data<float>()[c] = 0.5f + float(c % 4);
        zp8.data<int8_t>()[c] = static_cast<int8_t>(c % 7 - 3);
        zpu8.data<uint8_t>()[c] = static_cast<uint8_t>(120 + c % 9);
      }
      Node q = quantize({{"axis", per_tensor ? int64_t{0} : axis}});
      Node dq = dequantize({{"axis", per_tensor ? int64_t{0} : axis}});
      for (const Tensor* zp : {&zp8, &zpu8}) {
        for (int threads : {1, 2}) {
          std::vector<const Tensor*> in = {&x, &scale, zp};
          Tensor fast = sinter::testing::run_impl(q, 13, in, "quantize_linear", threads);
          Tensor ref = sinter::testing::run_impl(q, 13, in);
          ASSERT_EQ(std::memcmp(fast.raw(), ref.raw(), fast.nbytes()), 0) << shape_str(shape);
          std::vector<const Tensor*> din = {&fast, &scale, zp};
          Tensor dfast = sinter::testing::run_impl(dq, 13, din, "dequantize_linear", threads);
          Tensor dref = sinter::testing::run_impl(dq, 13, din);
          ASSERT_EQ(std::memcmp(dfast.raw(), dref.raw(), dfast.nbytes()), 0) << shape_str(shape);
        }
      }
    }
  }
}

Tensor int4_tensor(DType type, Shape shape, const std::vector<int8_t>& v) {
  Tensor x(type, std::move(shape));
  std::memcpy(x.raw(), v.data(), v.size());
  return x;
}

TEST(QuantizeLinear, Opset21FourBitTypesSaturateToTheirRange) {
  const Tensor x = t<float>({5}, {-20.f, -8.4f, 3.5f, 7.6f, 30.f});
  // The zero point's type decides; 3.5 is a tie and rounds to 4.
  Tensor y = run(quantize(), 21, {x, Tensor::scalar(1.f), int4_tensor(DType::kInt4, {}, {0})})[0];
  ASSERT_EQ(y.dtype(), DType::kInt4);
  EXPECT_EQ(std::vector<int8_t>(y.data<int8_t>(), y.data<int8_t>() + 5),
            std::vector<int8_t>({-8, -8, 4, 7, 7}));
  y = run(quantize(), 21, {x, Tensor::scalar(2.f), int4_tensor(DType::kUint4, {}, {3})})[0];
  ASSERT_EQ(y.dtype(), DType::kUint4);
  EXPECT_EQ(std::vector<uint8_t>(y.data<uint8_t>(), y.data<uint8_t>() + 5),
            std::vector<uint8_t>({0, 0, 5, 7, 15}));
  // Without a zero point, output_dtype names the type.
  y = run(quantize({{"output_dtype", int64_t{22}}}, false), 21, {x, Tensor::scalar(1.f)})[0];
  EXPECT_EQ(y.dtype(), DType::kInt4);
  // And DequantizeLinear reads them back.
  Tensor back =
      run(dequantize(), 21, {y, Tensor::scalar(0.5f), int4_tensor(DType::kInt4, {}, {-1})})[0];
  expect_tensor<float>(back, {5}, {-3.5f, -3.5f, 2.5f, 4.f, 4.f});
  expect_node_error(
      [&] {
        run(quantize({{"output_dtype", int64_t{3}}}), 21,
            {x, Tensor::scalar(1.f), int4_tensor(DType::kInt4, {}, {0})});
      },
      "zero point is int4 but output_dtype is int8");
  expect_node_error(
      [&] {
        run(quantize({{"output_dtype", int64_t{6}}}, false), 21, {x, Tensor::scalar(1.f)});
      },
      "'output_dtype' = 6");
}

// The element (o, c, i) of a tensor seen as [outer, channels, inner] uses the blocked parameter
// at (o, c / block, i): written out directly, apart from the kernels' layout helper.
TEST(QuantizeDequantize, Opset21BlockedScalesMatchDirectFormula) {
  struct Case {
    Shape shape;
    int64_t axis, block;
  };
  for (const Case& c : {Case{{4, 6}, 1, 4}, Case{{7, 5}, 0, 3}, Case{{2, 33, 3}, 1, 16},
                        Case{{3, 64}, -1, 32}, Case{{5, 3}, 1, 8}}) {
    const int64_t rank = static_cast<int64_t>(c.shape.size());
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    Shape scale_shape = c.shape;
    scale_shape[axis] = (c.shape[axis] + c.block - 1) / c.block;
    Tensor x = random_floats(c.shape, 7, 50.f);
    Tensor scale(DType::kFloat32, scale_shape);
    Tensor zp(DType::kInt8, scale_shape);
    for (int64_t i = 0; i < scale.numel(); ++i) {
      scale.data<float>()[i] = 0.25f + 0.5f * float(i % 5);
      zp.data<int8_t>()[i] = static_cast<int8_t>(i % 9 - 4);
    }
    std::map<std::string, Attribute> attrs{{"axis", c.axis}, {"block_size", c.block}};
    const int64_t inner = shape_numel(Shape(c.shape.begin() + axis + 1, c.shape.end()));
    const int64_t channels = c.shape[axis];
    auto param = [&](int64_t i) {
      const int64_t o = i / (inner * channels), ch = i / inner % channels, in = i % inner;
      return (o * scale_shape[axis] + ch / c.block) * inner + in;
    };
    for (int threads : {1, 2}) {
      const std::vector<const Tensor*> in = {&x, &scale, &zp};
      Tensor q = sinter::testing::run_impl(quantize(attrs), 21, in, "quantize_linear", threads);
      Tensor ref = sinter::testing::run_impl(quantize(attrs), 21, in);
      ASSERT_EQ(std::memcmp(q.raw(), ref.raw(), q.nbytes()), 0) << shape_str(c.shape);
      const std::vector<const Tensor*> din = {&q, &scale, &zp};
      Tensor back =
          sinter::testing::run_impl(dequantize(attrs), 21, din, "dequantize_linear", threads);
      for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t p = param(i);
        const int32_t want = direct_quantize(x.data<float>()[i], scale.data<float>()[p],
                                             zp.data<int8_t>()[p], -128, 127);
        ASSERT_EQ(q.data<int8_t>()[i], want) << shape_str(c.shape) << " at " << i;
        ASSERT_EQ(back.data<float>()[i],
                  float(want - zp.data<int8_t>()[p]) * scale.data<float>()[p]);
      }
    }
  }
}

TEST(QuantizeLinear, Opset21BlockedScalesOfTheWrongShapeNameTheNode) {
  const Tensor x = iota_f({4, 6});
  const std::map<std::string, Attribute> attrs{{"axis", int64_t{1}}, {"block_size", int64_t{4}}};
  auto ones = [](Shape shape) {
    Tensor s(DType::kFloat32, std::move(shape));
    std::fill(s.data<float>(), s.data<float>() + s.numel(), 1.f);
    return s;
  };
  expect_node_error(
      [&] {
        run(quantize(attrs, false), 21, {x, ones({4, 3})});
      },
      "does not fit x [4,6] with block_size 4 along axis 1");
  expect_node_error([&] { run(quantize(attrs, false), 21, {x, ones({8})}); }, "x's rank");
  expect_node_error(
      [&] {
        run(quantize({{"block_size", int64_t{-2}}}, false), 21, {x, Tensor::scalar(1.f)});
      },
      "'block_size' = -2 is negative");
  // A block far larger than the axis is one block, with no overflow on the way.
  const std::map<std::string, Attribute> huge{{"axis", int64_t{1}},
                                              {"block_size", std::numeric_limits<int64_t>::max()}};
  EXPECT_EQ(run(quantize(huge, false), 21, {x, ones({4, 1})})[0].shape(), (Shape{4, 6}));
  // Before opset 21 the attribute means nothing, and a 2-D scale is refused as before.
  expect_node_error([&] { run(quantize(attrs, false), 19, {x, ones({4, 2})}); }, "scalar or 1-D");
}

// A QDQ model as quantizers write it: activations through QuantizeLinear -> DequantizeLinear,
// int8 weights through a per-axis DequantizeLinear (folded at plan time when optimizing).
TEST(QuantizeDequantize, QdqMatMulRunsInASession) {
  GraphBuilder b;
  const std::string x = b.input("x", DType::kFloat32, {2, 4});
  const std::string a_scale = b.weight("a_scale", Tensor::scalar(0.05f));
  const std::string a_zp = b.weight("a_zp", Tensor::scalar<int8_t>(3));
  const std::string qx = b.node("QuantizeLinear", {x, a_scale, a_zp});
  const std::string dqx = b.node("DequantizeLinear", {qx, a_scale, a_zp});
  const Tensor qw = t<int8_t>({4, 3}, {1, -2, 3, 4, -5, 6, -7, 8, 9, 10, 11, -12});
  const Tensor w_scale = t<float>({3}, {0.1f, 0.01f, 1.f});
  const std::string dqw =
      b.node("DequantizeLinear", {b.weight("qw", qw), b.weight("w_scale", w_scale)},
             {{"axis", int64_t{1}}});
  b.output(b.node("MatMul", {dqx, dqw}));
  const Graph g = b.build();
  const Tensor xin = t<float>({2, 4}, {0.51f, -0.2f, 1.03f, 7.f, 0.f, -0.075f, 0.025f, -9.f});
  // By hand: x' = (clamp(rint(x / 0.05) + 3) - 3) * 0.05, w' = q * scale[column].
  std::vector<double> want(6, 0.0);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 4; ++k) {
        const int32_t q = direct_quantize(xin.data<float>()[r * 4 + k], 0.05f, 3, -128, 127);
        want[r * 3 + c] += static_cast<double>(static_cast<float>(q - 3) * 0.05f) *
                           static_cast<float>(qw.data<int8_t>()[k * 3 + c]) *
                           w_scale.data<float>()[c];
      }
  for (bool optimize : {false, true}) {
    Session session(g, {1, optimize, false});
    sinter::testing::expect_values(session.run({{"x", xin}})[0], want);
  }
}

TEST(QuantizeLinear, InfersOutputTypeFromZeroPoint) {
  auto out = infer(quantize(), 13,
                   {vt(DType::kFloat32, {2, 3}), vt(DType::kFloat32, {3}), vt(DType::kInt8, {3})});
  EXPECT_EQ(out[0].dtype, DType::kInt8);
  EXPECT_EQ(out[0].shape, (Shape{2, 3}));
  out = infer(quantize({}, false), 13, {vt(DType::kFloat32, {4}), vt(DType::kFloat32, {})});
  EXPECT_EQ(out[0].dtype, DType::kUint8);
  out = infer(dequantize(), 13,
              {vt(DType::kUint8, {4}), vt(DType::kFloat32, {}), vt(DType::kUint8, {})});
  EXPECT_EQ(out[0].dtype, DType::kFloat32);
}

TEST(QuantizeLinear, HostileAxisNamesTheAttribute) {
  Tensor x = iota_f({2, 3});
  Tensor scale3 = t<float>({3}, {1.f, 1.f, 1.f});
  for (int64_t axis : {int64_t{1} << 62, std::numeric_limits<int64_t>::min(), int64_t{-3}}) {
    expect_error<ModelError>(
        [&] {
          run(quantize({{"axis", axis}}), 13, {x, scale3, t<int8_t>({3}, {0, 0, 0})});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range for rank 2"});
    expect_error<ModelError>(
        [&] {
          run(dequantize({{"axis", axis}}), 13,
              {t<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6}), scale3, t<int8_t>({3}, {0, 0, 0})});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range for rank 2"});
  }
}

TEST(QuantizeLinear, BadScalesZeroPointsAndAxes) {
  Tensor x = iota_f({2, 3});
  Tensor scale3 = t<float>({3}, {1.f, 1.f, 1.f});
  Tensor zp3 = t<int8_t>({3}, {0, 0, 0});
  expect_node_error([&] { run(quantize(), 10, {x, scale3, zp3}); }, "needs opset 13");
  expect_node_error(
      [&] {
        run(quantize({{"axis", int64_t{0}}}), 13, {x, scale3, zp3});
      },
      "scale has 3 values but x has 2 along axis 0");
  expect_node_error(
      [&] {
        run(quantize({{"axis", int64_t{2}}}), 13, {x, scale3, zp3});
      },
      "attribute 'axis' = 2 is out of range");
  expect_node_error(
      [&] {
        run(quantize(), 13, {x, scale3, Tensor::scalar<int8_t>(0)});
      },
      "zero point shape");
  expect_node_error(
      [&] {
        run(quantize(), 13, {x, t<float>({1, 3}, {1, 1, 1}), zp3});
      },
      "scalar or 1-D");
  expect_node_error(
      [&] {
        run(quantize(), 13, {x, Tensor::scalar(1.0), Tensor::scalar<int8_t>(0)});
      },
      "scale must be float32");
  expect_node_error(
      [&] {
        run(quantize(), 13, {x, Tensor::scalar(1.f), Tensor::scalar<int32_t>(0)});
      },
      "zero point must be int8, uint8, int4 or uint4, got int32");
  expect_node_error(
      [&] {
        run(quantize(), 13, {t<int8_t>({1}, {1}), Tensor::scalar(1.f), Tensor::scalar<int8_t>(0)});
      },
      "x must be float32 or int32");
  expect_node_error(
      [&] {
        run(dequantize(), 13, {iota_f({2}), Tensor::scalar(1.f), Tensor::scalar(0.f)});
      },
      "x must be int8, uint8, int4, uint4 or int32");
  expect_node_error(
      [&] {
        run(dequantize(), 13,
            {t<int8_t>({1}, {1}), Tensor::scalar(1.f), Tensor::scalar<uint8_t>(0)});
      },
      "zero point must be int8");
}

TEST(QuantizeLinear, ScalesThatAreNotPositiveAndFiniteNameTheNode) {
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  const Tensor x = iota_f({2, 3});
  const Tensor q = t<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::pair<Tensor, std::string> cases[] = {
      {Tensor::scalar(0.f), "scale = 0; a scale must be positive and finite"},
      {Tensor::scalar(-0.f), "scale = -0; a scale must be positive and finite"},
      {t<float>({1}, {-2.f}), "scale[0] = -2; a scale must be positive and finite"},
      {t<float>({3}, {1.f, nan, 1.f}), "scale[1] = nan; a scale must be positive and finite"},
      {t<float>({3}, {1.f, 1.f, inf}), "scale[2] = inf; a scale must be positive and finite"},
  };
  for (const auto& [scale, message] : cases) {
    const Tensor zp(DType::kInt8, scale.shape());
    const std::vector<Tensor> qin = {x, scale, zp}, dqin = {q, scale, zp};
    // Known before running (initializers) and fed at run time.
    expect_error<ModelError>([&] { run(quantize(), 13, qin); }, {message});
    expect_error<ModelError>([&] { run_values_unknown(quantize(), 13, qin); }, {message});
    expect_error<ModelError>([&] { run(dequantize(), 13, dqin); }, {message});
    expect_error<ModelError>([&] { run_values_unknown(dequantize(), 13, dqin); }, {message});
  }
}

}  // namespace
}  // namespace sinter::test
