// MatMulInteger: hand-computed per-row and per-column zero points (as vectors and as batched
// [..., M, 1] / [..., 1, N] tensors), 1-D operands, sums past int32 wrapping modulo 2^32, random
// batches over every int8/uint8 pairing against the float MatMul of the dequantized operands, and
// zero points of the wrong type or shape.
#include <gtest/gtest.h>

#include "integer_op_test_util.h"
#include "ir/graph_builder.h"
#include "math_op_test_util.h"
#include "runtime/session.h"

namespace sinter::test {
namespace {

Node matmul_integer(size_t inputs, std::vector<bool> present = {}) {
  return make_node("MatMulInteger", inputs, 1, {}, std::move(present));
}

TEST(MatMulInteger, PerRowAndPerColumnZeroPoints) {
  // A - a_zero_point[row] = [[1, 2, 3], [0, 1, 2]]; B - b_zero_point[column] =
  // [[0, 2], [2, 4], [4, 6]].
  Tensor a = t<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = t<uint8_t>({3, 2}, {1, 2, 3, 4, 5, 6});
  expect_tensor<int32_t>(
      run(matmul_integer(4), 10, {a, b, t<int8_t>({2}, {0, 4}), t<uint8_t>({2}, {1, 0})})[0],
      {2, 2}, {16, 28, 10, 16});
}

TEST(MatMulInteger, BatchedZeroPointsBroadcastOverTheBatch) {
  // A [2, 1, 2] with a zero point per batch and row ([2, 1, 1]); B [2, 2] with one per column
  // written as [1, 2]. A - zp = [[2, 3]], [[3, 4]]; B - zp = [[1, -1], [0, 0]].
  Tensor a = t<uint8_t>({2, 1, 2}, {3, 4, 5, 6});
  Tensor b = t<uint8_t>({2, 2}, {1, 0, 0, 1});
  expect_tensor<int32_t>(run(matmul_integer(4), 10,
                             {a, b, t<uint8_t>({2, 1, 1}, {1, 2}), t<uint8_t>({1, 2}, {0, 1})})[0],
                         {2, 1, 2}, {2, -2, 3, -3});
}

TEST(MatMulInteger, OneDimensionalOperandsAndOmittedZeroPoints) {
  Tensor a = t<int8_t>({3}, {1, 2, 3});
  // [0, 1, 2] . [4, 5, 6]
  expect_tensor<int32_t>(
      run(matmul_integer(3), 10, {a, t<int8_t>({3}, {4, 5, 6}), Tensor::scalar<int8_t>(1)})[0], {},
      {17});
  // A vector times a matrix, only B's zero point given: [1, 2, 3] x ([[1, 2], [3, 4], [5, 6]] - 1).
  expect_tensor<int32_t>(
      run(matmul_integer(4, {true, true, false, true}), 10,
          {a, t<int8_t>({3, 2}, {1, 2, 3, 4, 5, 6}), Tensor(), Tensor::scalar<int8_t>(1)})[0],
      {2}, {16, 22});
  expect_tensor<int32_t>(run(matmul_integer(2), 10,
                             {t<uint8_t>({1, 2}, {255, 255}), t<int8_t>({2, 1}, {-128, 127})})[0],
                         {1, 1}, {-255});
}

TEST(MatMulInteger, SumsPastInt32WrapModulo2To32) {
  // 40000 terms of 255 * (-128 - 127): -2'601'000'000, which is 1'693'967'296 modulo 2^32.
  const int64_t k = 40000;
  Tensor a(DType::kUint8, {1, k}), b(DType::kInt8, {k, 1});
  std::fill_n(a.data<uint8_t>(), k, uint8_t{255});
  std::fill_n(b.data<int8_t>(), k, int8_t{-128});
  expect_tensor<int32_t>(run(matmul_integer(4), 10,
                             {a, b, Tensor::scalar<uint8_t>(0), Tensor::scalar<int8_t>(127)})[0],
                         {1, 1}, {1693967296});
}

// A - a_zero_point[row] (a zero point per row of the last two dims) as float.
Tensor minus_row_zero_points(const Tensor& a, const Tensor& zp) {
  Tensor f(DType::kFloat32, a.shape());
  const int64_t K = a.dim(-1), M = a.dim(-2);
  for (int64_t i = 0; i < a.numel(); ++i)
    f.data<float>()[i] = static_cast<float>(a.value_as_double(i) - zp.value_as_double(i / K % M));
  return f;
}

// B - b_zero_point[column] as float.
Tensor minus_column_zero_points(const Tensor& b, const Tensor& zp) {
  Tensor f(DType::kFloat32, b.shape());
  const int64_t N = b.dim(-1);
  for (int64_t i = 0; i < b.numel(); ++i)
    f.data<float>()[i] = static_cast<float>(b.value_as_double(i) - zp.value_as_double(i % N));
  return f;
}

template <class TA, class TB>
void check_random_cases(std::mt19937& rng) {
  const std::pair<Shape, Shape> shapes[] = {
      {{5, 7}, {7, 3}}, {{2, 4, 9}, {9, 6}}, {{3, 1, 2, 5}, {2, 5, 4}}, {{1, 8}, {3, 8, 2}}};
  for (const auto& [as, bs] : shapes) {
    Tensor a = random_8bit<TA>(as, rng), b = random_8bit<TB>(bs, rng);
    Tensor a_zp = random_8bit<TA>({as[as.size() - 2]}, rng);
    Tensor b_zp = random_8bit<TB>({bs.back()}, rng);
    const Tensor want = run(make_node("MatMul", 2), 13,
                            {minus_row_zero_points(a, a_zp), minus_column_zero_points(b, b_zp)})[0];
    const Tensor got = run(matmul_integer(4), 10, {a, b, a_zp, b_zp})[0];
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < got.numel(); ++i)
      ASSERT_EQ(got.data<int32_t>()[i], want.data<float>()[i]) << shape_str(as) << " at " << i;
  }
}

TEST(MatMulInteger, EveryTypePairingMatchesFloatMatMulOfDequantizedOperands) {
  std::mt19937 rng(5);
  check_random_cases<uint8_t, uint8_t>(rng);
  check_random_cases<uint8_t, int8_t>(rng);
  check_random_cases<int8_t, uint8_t>(rng);
  check_random_cases<int8_t, int8_t>(rng);
}

// The dynamic quantization ONNX Runtime's quantizer writes: x through DynamicQuantizeLinear, an
// int8 weight with a zero point per column, MatMulInteger, then a Cast and a Mul by the product
// of the scales. Each output is within half an x step per term of the float product.
TEST(MatMulInteger, DynamicQuantizationModelRunsInASession) {
  GraphBuilder b(13);
  const std::string x = b.input("x", DType::kFloat32, {3, 4});
  const Tensor qw = t<int8_t>({4, 2}, {12, -7, 100, 5, -128, 64, 3, 127});
  const Tensor w_zp = t<int8_t>({2}, {0, 3});
  const float w_scale = 0.02f;
  b.node("DynamicQuantizeLinear", {x}, {}, 3);
  const std::vector<std::string> q = b.last_outputs();
  const std::string sums =
      b.node("MatMulInteger", {q[0], b.weight("qw", qw), q[2], b.weight("w_zp", w_zp)});
  const std::string sums_f = b.node("Cast", {sums}, {{"to", int64_t{1}}});
  const std::string scale = b.node("Mul", {q[1], b.weight("w_scale", Tensor::scalar(w_scale))});
  b.output(b.node("Mul", {sums_f, scale}));
  const Graph g = b.build();
  const Tensor xin = sinter::testing::random_tensor({3, 4}, 23, -1.f, 2.f);
  const float x_step = 3.f / 255.f;  // the range of x is at most [-1, 2]
  for (bool optimize : {false, true}) {
    Session session(g, {1, optimize});
    const Tensor y = session.run({{"x", xin}})[0];
    ASSERT_EQ(y.shape(), (Shape{3, 2}));
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < 2; ++c) {
        double want = 0, bound = 0;
        for (int64_t k = 0; k < 4; ++k) {
          const double w = (qw.data<int8_t>()[k * 2 + c] - w_zp.data<int8_t>()[c]) * w_scale;
          want += xin.data<float>()[r * 4 + k] * w;
          bound += 0.5 * x_step * std::abs(w);
        }
        EXPECT_NEAR(y.data<float>()[r * 2 + c], want, bound * 1.001 + 1e-6) << r << "," << c;
      }
  }
}

TEST(MatMulInteger, BadZeroPointsNameTheNodeAndInput) {
  Tensor a = t<uint8_t>({2, 2, 3}, std::vector<uint8_t>(12, 1));
  Tensor b = t<int8_t>({3, 4}, std::vector<int8_t>(12, 1));
  const Tensor a_zp = Tensor::scalar<uint8_t>(0), b_zp = Tensor::scalar<int8_t>(0);
  const std::pair<std::vector<Tensor>, std::string> cases[] = {
      {{a, b, Tensor::scalar<int8_t>(0), b_zp}, "a_zero_point must be uint8 like A, got int8"},
      {{a, b, a_zp, Tensor::scalar<int32_t>(-300)}, "b_zero_point must be int8 like B, got int32"},
      {{a, b, t<uint8_t>({3}, {0, 0, 0}), b_zp},
       "a_zero_point of shape [3] is neither one value nor one per row of a [2,2,3]"},
      {{a, b, t<uint8_t>({2, 2, 2}, std::vector<uint8_t>(8, 0)), b_zp},
       "a_zero_point of shape [2,2,2] is neither one value nor one per row"},
      {{a, b, t<uint8_t>({3, 2, 1}, std::vector<uint8_t>(6, 0)), b_zp},
       "a_zero_point of shape [3,2,1] is neither"},
      {{a, b, a_zp, t<int8_t>({3, 1}, {0, 0, 0})},
       "b_zero_point of shape [3,1] is neither one value nor one per column of b [3,4]"},
      {{a, b, a_zp, t<int8_t>({2, 1, 4}, std::vector<int8_t>(8, 0))},
       "b_zero_point of shape [2,1,4] is neither"},
  };
  for (const auto& [inputs, message] : cases)
    expect_error<ModelError>([&] { run(matmul_integer(4), 10, inputs); }, {message});
  expect_error<ModelError>(
      [&] {
        run(matmul_integer(2), 10, {a, t<int8_t>({2, 4}, std::vector<int8_t>(8, 1))});
      },
      {"inner dimensions differ"});
  expect_error<ModelError>(
      [&] {
        run(matmul_integer(2), 10, {iota_f({2, 3}), b});
      },
      {"A must be int8 or uint8, got float32"});
}

}  // namespace
}  // namespace sinter::test
