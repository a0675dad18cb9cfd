#include <gtest/gtest.h>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

// Plain Gemm definition in double: alpha * op(A) op(B) + beta * C (C broadcast).
Tensor gemm_expected(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb,
                     float alpha, float beta) {
  const int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1);
  const int64_t N = tb ? b.dim(0) : b.dim(1);
  Tensor y(DType::kFloat32, {M, N});
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += double(ta ? pa[k * M + i] : pa[i * K + k]) * (tb ? pb[j * K + k] : pb[k * N + j]);
      double cv = 0;
      if (c) {
        const Shape& s = c->shape();
        int64_t rows = s.size() == 2 ? s[0] : 1, cols = s.empty() ? 1 : s.back();
        cv = c->data<float>()[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
      }
      y.data<float>()[i * N + j] = float(alpha * acc + beta * cv);
    }
  return y;
}

TEST(GemmOp, AllPathsMatchDefinitionAcrossOptions) {
  const int64_t M = 7, N = 19, K = 13;
  uint32_t seed = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (Shape cs : {Shape{}, Shape{N}, Shape{1, N}, Shape{M, 1}, Shape{M, N}, Shape{1}})
        for (float beta : {1.0f, 0.5f}) {
          Tensor a = random_tensor(ta ? Shape{K, M} : Shape{M, K}, seed++);
          Tensor b = random_tensor(tb ? Shape{N, K} : Shape{K, N}, seed++);
          Tensor c = random_tensor(cs, seed++);
          Node n = make_node(
              "Gemm", 3,
              {{"transA", int64_t(ta)}, {"transB", int64_t(tb)}, {"alpha", 1.5f}, {"beta", beta}});
          Tensor want = gemm_expected(a, b, &c, ta, tb, 1.5f, beta);
          for (const char* impl : {"sgemm_packed_b", "sgemm", "reference"})
            for (bool constants : {true, false}) {
              if (std::string(impl) == "sgemm_packed_b" && !constants) continue;
              SCOPED_TRACE(cat(impl, " ta=", ta, " tb=", tb, " C=", shape_str(cs), " beta=", beta,
                               " const=", constants));
              expect_close(run_impl(n, 13, {&a, &b, &c}, impl, 2, constants), want, 1e-5);
            }
        }
}

TEST(GemmOp, WithoutC) {
  Tensor a = random_tensor({3, 5}, 1), b = random_tensor({5, 4}, 2);
  Node n = make_node("Gemm", 2);
  expect_close(run1(n, 13, {&a, &b}), gemm_expected(a, b, nullptr, false, false, 1, 0), 1e-5);
}

TEST(GemmOp, FusedGemmEqualsGemmThenActivation) {
  Tensor a = random_tensor({4, 6}, 3), b = random_tensor({5, 6}, 4), c = random_tensor({5}, 5);
  Tensor ref = run1(make_node("Gemm", 3, {{"transB", int64_t(1)}}), 13, {&a, &b, &c});
  struct Case {
    std::string act;
    float alpha, beta;
  };
  for (const Case& k :
       {Case{"Relu", 0, 0}, Case{"Clip", -0.5f, 0.5f}, Case{"Sigmoid", 0, 0},
        Case{"HardSigmoid", 0.3f, 0.4f}, Case{"HardSwish", 0, 0}, Case{"LeakyRelu", 0.1f, 0}}) {
    Node n = make_node("FusedGemm", 3,
                       {{"transB", int64_t(1)},
                        {"activation", k.act},
                        {"activation_alpha", k.alpha},
                        {"activation_beta", k.beta}},
                       1, "sinter");
    Tensor got = run1(n, 13, {&a, &b, &c});
    Activation act = fused_activation(n);
    std::vector<double> want;
    for (int64_t i = 0; i < ref.numel(); ++i) want.push_back(act.apply(ref.data<float>()[i]));
    SCOPED_TRACE(k.act);
    expect_values(got, want, 1e-5);
  }
}

TEST(GemmOp, BadShapesNameTheNode) {
  Tensor a = random_tensor({3, 5}, 1), b = random_tensor({4, 4}, 2);
  Node n = make_node("Gemm", 2);
  n.name = "fc1";
  try {
    run1(n, 13, {&a, &b});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Gemm node 'fc1'"), std::string::npos) << e.what();
  }
  Node f = make_node("FusedGemm", 2, {{"activation", std::string("Swish")}}, 1, "sinter");
  Tensor b2 = random_tensor({5, 4}, 2);
  EXPECT_THROW(run1(f, 13, {&a, &b2}), UnsupportedError);
}

}  // namespace
}  // namespace sinter::testing
