// QLinearMatMul: hand-computed requantization with per-row scales and zero points of a and
// per-column ones of b (ties to even before the zero point is added), saturation, batched
// [..., M, 1] / [..., 1, N] parameters, random cases over every int8/uint8 combination against the
// float MatMul of the dequantized operands, and malformed scales and zero points, known before
// running and fed at run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "integer_op_test_util.h"

namespace sinter::test {
namespace {

Node qlinear_matmul() { return make_node("QLinearMatMul", 8); }

TEST(QLinearMatMul, PerRowAndPerColumnParametersTiesToEven) {
  // a - a_zero_point[row] = [[0, 10], [10, 20]]; b - b_zero_point[column] =
  // [[0, -1, 2], [2, 0, -2]]. Sums [[20, 0, -20], [40, -10, -20]], times a_scale[row] *
  // b_scale[column]: [[1.25, 0, -2.5], [1.25, -1.25, -1.25]]; rounded, then y_zero_point -3.
  Tensor a = t<uint8_t>({2, 2}, {10, 20, 30, 40});
  Tensor b = t<int8_t>({2, 3}, {1, -1, 2, 3, 0, -2});
  const std::vector<Tensor> in = {a,
                                  t<float>({2}, {0.25f, 0.125f}),
                                  t<uint8_t>({2}, {10, 20}),
                                  b,
                                  t<float>({3}, {0.25f, 1.f, 0.5f}),
                                  t<int8_t>({3}, {1, 0, 0}),
                                  Tensor::scalar(1.f),
                                  Tensor::scalar<int8_t>(-3)};
  expect_tensor<int8_t>(run(qlinear_matmul(), 10, in)[0], {2, 3}, {-2, -3, -5, -2, -4, -4});
}

TEST(QLinearMatMul, SaturatesAtBothEnds) {
  // a - 128 = 127 and -128 per row, b = 127: sums 32258 and -32512, times 1 / 64: 504.03 and
  // -508, beyond both ends of uint8 and of int8.
  auto inputs = [](Tensor y_zero_point) {
    return std::vector<Tensor>{t<uint8_t>({2, 2}, {255, 255, 0, 0}),
                               Tensor::scalar(0.125f),
                               Tensor::scalar<uint8_t>(128),
                               t<int8_t>({2, 1}, {127, 127}),
                               Tensor::scalar(0.125f),
                               Tensor::scalar<int8_t>(0),
                               Tensor::scalar(1.f),
                               std::move(y_zero_point)};
  };
  expect_tensor<uint8_t>(run(qlinear_matmul(), 10, inputs(Tensor::scalar<uint8_t>(0)))[0], {2, 1},
                         {255, 0});
  expect_tensor<int8_t>(run(qlinear_matmul(), 10, inputs(Tensor::scalar<int8_t>(0)))[0], {2, 1},
                        {127, -128});
}

TEST(QLinearMatMul, BatchedParametersBroadcastOverTheBatch) {
  // a [2, 1, 2] with a scale per batch and row ([2, 1, 1]); b [2, 2] with a scale per column
  // written as [1, 2]. Sums (zero points 0) [[7, 3]], [[15, 7]], times a_scale * b_scale:
  // [[3.5, 3]], [[3.75, 3.5]]; rounded, then y_zero_point 10.
  Tensor a = t<uint8_t>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = t<uint8_t>({2, 2}, {1, 1, 3, 1});
  const std::vector<Tensor> in = {a,
                                  t<float>({2, 1, 1}, {0.5f, 0.25f}),
                                  Tensor::scalar<uint8_t>(0),
                                  b,
                                  t<float>({1, 2}, {1.f, 2.f}),
                                  t<uint8_t>({1, 2}, {0, 0}),
                                  Tensor::scalar(1.f),
                                  Tensor::scalar<uint8_t>(10)};
  expect_tensor<uint8_t>(run(qlinear_matmul(), 10, in)[0], {2, 1, 2}, {14, 13, 14, 14});
}

// The float value of q - zero_point[index(i)] for each element i.
template <class Index>
Tensor dequantized_integers(const Tensor& q, const Tensor& zp, Index index) {
  Tensor f(DType::kFloat32, q.shape());
  for (int64_t i = 0; i < q.numel(); ++i)
    f.data<float>()[i] = static_cast<float>(q.value_as_double(i) - zp.value_as_double(index(i)));
  return f;
}

Tensor random_scales(Shape shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(0.001f, 0.05f);
  Tensor s(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < s.numel(); ++i) s.data<float>()[i] = dist(rng);
  return s;
}

// Per-row parameters of a [..., M, K] and per-column ones of b [K, N] (vectors), or per-tensor.
template <class TA, class TB, class TY>
void check_random_case(const Shape& as, const Shape& bs, bool per_row_column, std::mt19937& rng) {
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  Tensor a = random_8bit<TA>(as, rng), b = random_8bit<TB>(bs, rng);
  const Shape rows = per_row_column ? Shape{M} : Shape{},
              columns = per_row_column ? Shape{N} : Shape{};
  Tensor a_scale = random_scales(rows, rng), b_scale = random_scales(columns, rng);
  Tensor a_zp = random_8bit<TA>(rows, rng), b_zp = random_8bit<TB>(columns, rng);
  Tensor y_scale = random_scales({}, rng), y_zp = random_8bit<TY>({}, rng);
  y_scale.data<float>()[0] *= 8;
  auto row = [&](int64_t i) { return per_row_column ? i / K % M : 0; };
  auto column = [&](int64_t i) { return per_row_column ? i % N : 0; };
  const Tensor sums =
      run(make_node("MatMul", 2), 13,
          {dequantized_integers(a, a_zp, row), dequantized_integers(b, b_zp, column)})[0];
  const Tensor got =
      run(qlinear_matmul(), 10, {a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp})[0];
  ASSERT_EQ(got.dtype(), dtype_of<TY>());
  ASSERT_EQ(got.shape(), sums.shape());
  const double lo = std::numeric_limits<TY>::min(), hi = std::numeric_limits<TY>::max();
  for (int64_t i = 0; i < got.numel(); ++i) {
    const int64_t m = per_row_column ? i / N % M : 0, n = per_row_column ? i % N : 0;
    const double multiplier = double{a_scale.data<float>()[m]} * b_scale.data<float>()[n] /
                              double{y_scale.data<float>()[0]};
    const double want = std::clamp(
        std::nearbyint(double{sums.data<float>()[i]} * multiplier) + y_zp.value_as_double(0), lo,
        hi);
    ASSERT_EQ(got.value_as_double(i), want) << shape_str(as) << " at " << i;
  }
}

template <class TA, class TB, class TY>
void check_random_cases(std::mt19937& rng) {
  for (bool per_row_column : {false, true}) {
    check_random_case<TA, TB, TY>({5, 7}, {7, 3}, per_row_column, rng);
    check_random_case<TA, TB, TY>({3, 4, 9}, {9, 6}, per_row_column, rng);
    check_random_case<TA, TB, TY>({2, 1, 3, 16}, {16, 5}, per_row_column, rng);
  }
}

TEST(QLinearMatMul, EveryTypeCombinationMatchesFloatMatMulOfDequantizedOperands) {
  std::mt19937 rng(13);
  check_random_cases<uint8_t, int8_t, uint8_t>(rng);
  check_random_cases<uint8_t, uint8_t, int8_t>(rng);
  check_random_cases<int8_t, int8_t, int8_t>(rng);
  check_random_cases<int8_t, uint8_t, uint8_t>(rng);
}

// A valid [2, 3] x [3, 2] problem whose input `i` is replaced by `value`.
std::vector<Tensor> with_input(size_t i, Tensor value) {
  std::vector<Tensor> in = {t<uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6}),
                            t<float>({2}, {0.5f, 0.25f}),
                            Tensor::scalar<uint8_t>(0),
                            t<int8_t>({3, 2}, {1, -1, 2, -2, 3, -3}),
                            t<float>({2}, {0.5f, 0.25f}),
                            Tensor::scalar<int8_t>(0),
                            Tensor::scalar(1.f),
                            Tensor::scalar<uint8_t>(0)};
  in[i] = std::move(value);
  return in;
}

struct BadInput {
  size_t input;
  Tensor value;
  std::string message;
};

TEST(QLinearMatMul, BadScaleValuesNameTheNodeAndInput) {
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  const BadInput cases[] = {
      {1, t<float>({2}, {0.5f, 0.f}), "a_scale[1] = 0; a scale must be positive and finite"},
      {4, t<float>({2}, {-inf, 1.f}), "b_scale[0] = -inf; a scale must be positive and finite"},
      {6, Tensor::scalar(nan), "y_scale = nan; a scale must be positive and finite"},
      {6, Tensor::scalar(-2.f), "y_scale = -2; a scale must be positive and finite"},
  };
  for (const BadInput& b : cases) {
    expect_error<ModelError>([&] { run(qlinear_matmul(), 10, with_input(b.input, b.value)); },
                             {b.message});
    expect_error<ModelError>(
        [&] { run_values_unknown(qlinear_matmul(), 10, with_input(b.input, b.value)); },
        {b.message});
  }
}

TEST(QLinearMatMul, BadParameterShapesAndTypesNameTheNodeAndInput) {
  const BadInput cases[] = {
      {1, t<float>({3}, {1.f, 1.f, 1.f}),
       "a_scale of shape [3] is neither one value nor one per row of a [2,3]"},
      {2, t<uint8_t>({2, 3}, {0, 0, 0, 0, 0, 0}), "a_zero_point of shape [2,3] is neither"},
      {4, t<float>({2, 1}, {1.f, 1.f}),
       "b_scale of shape [2,1] is neither one value nor one per column of b [3,2]"},
      {5, t<int8_t>({3}, {0, 0, 0}), "b_zero_point of shape [3] is neither"},
      {6, t<float>({2}, {1.f, 1.f}), "y_scale must hold one value (per-tensor), got shape [2]"},
      {7, t<uint8_t>({1, 2}, {0, 0}), "y_zero_point must hold one value (per-tensor)"},
      {1, t<double>({2}, {1, 1}), "a_scale must be float32, got float64"},
      {2, Tensor::scalar<int8_t>(0), "a_zero_point must be uint8 like a, got int8"},
      {5, Tensor::scalar<int32_t>(1000), "b_zero_point must be int8 like b, got int32"},
      {7, Tensor::scalar<int32_t>(0), "y_zero_point must be int8 or uint8, got int32"},
  };
  for (const BadInput& b : cases)
    expect_error<ModelError>([&] { run(qlinear_matmul(), 10, with_input(b.input, b.value)); },
                             {b.message});
}

}  // namespace
}  // namespace sinter::test
