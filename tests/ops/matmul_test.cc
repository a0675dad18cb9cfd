#include <gtest/gtest.h>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

// Batched product by definition, for operands already promoted to rank >= 2 with equal ranks.
Tensor matmul_expected(const Tensor& a, const Tensor& b, Shape out_shape) {
  const int64_t M = a.dim(-2), K = a.dim(-1), N = b.dim(-1);
  const int64_t batch = shape_numel(out_shape) / (M * N);
  Tensor y(DType::kFloat32, out_shape);
  const int64_t na = a.numel() / (M * K), nb = b.numel() / (K * N);
  for (int64_t t = 0; t < batch; ++t)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        const float* pa = a.data<float>() + (na == 1 ? 0 : t) * M * K;
        const float* pb = b.data<float>() + (nb == 1 ? 0 : t) * K * N;
        for (int64_t k = 0; k < K; ++k) acc += double(pa[i * K + k]) * pb[k * N + j];
        y.data<float>()[(t * M + i) * N + j] = float(acc);
      }
  return y;
}

TEST(MatMulOp, BatchBroadcastAndOneDimensionalOperands) {
  struct Case {
    Shape a, b, out;
  };
  const Case cases[] = {{{5, 7}, {7, 3}, {5, 3}},
                        {{2, 5, 7}, {7, 3}, {2, 5, 3}},
                        {{2, 5, 7}, {2, 7, 3}, {2, 5, 3}},
                        {{5, 7}, {2, 7, 3}, {2, 5, 3}},
                        {{1, 5, 7}, {4, 7, 3}, {4, 5, 3}},
                        {{7}, {7, 3}, {3}},
                        {{5, 7}, {7}, {5}},
                        {{7}, {7}, {}},
                        {{2, 1, 5, 7}, {3, 7, 4}, {2, 3, 5, 4}}};
  uint32_t seed = 10;
  for (const Case& c : cases) {
    Tensor a = random_tensor(c.a, seed++), b = random_tensor(c.b, seed++);
    Node n = make_node("MatMul", 2);
    Tensor ref = run_impl(n, 13, {&a, &b}, "reference");
    ASSERT_EQ(shape_str(ref.shape()), shape_str(c.out));
    for (const char* impl : {"sgemm_packed_b", "sgemm"})
      for (bool constants : {true, false}) {
        if (std::string(impl) == "sgemm_packed_b" && !constants) continue;
        SCOPED_TRACE(cat(impl, " ", shape_str(c.a), " x ", shape_str(c.b)));
        expect_close(run_impl(n, 13, {&a, &b}, impl, 2, constants), ref, 1e-5);
      }
  }
}

TEST(MatMulOp, ReferenceMatchesDefinition) {
  Tensor a = random_tensor({3, 4, 6}, 1), b = random_tensor({6, 5}, 2);
  expect_close(run_impl(make_node("MatMul", 2), 13, {&a, &b}, "reference"),
               matmul_expected(a, b, {3, 4, 5}), 1e-5);
  Tensor c = random_tensor({3, 6, 5}, 3);
  expect_close(run1(make_node("MatMul", 2), 13, {&a, &c}), matmul_expected(a, c, {3, 4, 5}), 1e-5);
}

TEST(MatMulOp, MismatchedInnerDimsNameTheNode) {
  Tensor a = random_tensor({3, 4}, 1), b = random_tensor({5, 2}, 2);
  Node n = make_node("MatMul", 2);
  n.name = "mm";
  try {
    run1(n, 13, {&a, &b});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("MatMul node 'mm'"), std::string::npos);
  }
}

}  // namespace
}  // namespace sinter::testing
