// Pruned Conv and Gemm weights: the plan picks the sparse kernels for them (pattern, block or
// unstructured zeros; and the dense ones
// when SessionOptions::sparse_kernels is off, or when the weights are dense), and both agree.
#include <gtest/gtest.h>

#include <random>

#include "../kernels/sparse_test_util.h"
#include "ir/graph_builder.h"
#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/bsr_gemm.h"
#include "math_op_test_util.h"
#include "runtime/session.h"

namespace sinter::testing {
namespace {

Tensor tensor_of(Shape shape, const std::vector<float>& v) {
  return Tensor::from_vector<float>(std::move(shape), v);
}

// x [2, 8, 10, 10] -> FusedConv-able Conv 3x3 pad 1 (+ Relu) -> Flatten -> Gemm [., 6].
Graph conv_gemm_model(const std::vector<float>& conv_w, const std::vector<float>& fc_w) {
  std::mt19937 rng(3);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 8, 10, 10});
  auto w = b.weight("w", tensor_of({12, 8, 3, 3}, conv_w));
  auto bias = b.weight("bias", tensor_of({12}, random_floats(rng, 12)));
  auto c = b.node("Conv", {x, w, bias}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto flat = b.node("Flatten", {b.node("Relu", {c})});
  auto fc = b.weight("fc", tensor_of({12 * 100, 6}, fc_w));
  auto fcb = b.weight("fcb", tensor_of({6}, random_floats(rng, 6)));
  b.output(b.node("Gemm", {flat, fc, fcb}));
  return b.build();
}

// The kernels chosen for the Conv and the Gemm, and the output, with sparse kernels on or off.
struct Compiled {
  std::string conv_kernel, gemm_kernel;
  Tensor y;
};

Compiled compile_and_run(const Graph& g, bool sparse_kernels) {
  SessionOptions options{2, true, false};
  options.sparse_kernels = sparse_kernels;
  Session session(g, options);
  std::mt19937 rng(9);
  Compiled c;
  c.y = session.run({{"x", tensor_of({2, 8, 10, 10}, random_floats(rng, 1600))}})[0];
  for (const PlanStep& step : session.plan().steps()) {
    if (step.op_type == "FusedConv") c.conv_kernel = step.kernel_name;
    if (step.op_type == "Gemm") c.gemm_kernel = step.kernel_name;
  }
  return c;
}

void expect_kernels(const std::vector<float>& conv_w, const std::vector<float>& fc_w,
                    const std::string& conv_kernel, const std::string& gemm_kernel) {
  Graph g = conv_gemm_model(conv_w, fc_w);
  Compiled sparse = compile_and_run(g, true), dense = compile_and_run(g, false);
  EXPECT_EQ(sparse.conv_kernel, conv_kernel);
  EXPECT_EQ(sparse.gemm_kernel, gemm_kernel);
  EXPECT_EQ(dense.conv_kernel.rfind("conv2d/", 0), 0u) << dense.conv_kernel;
  EXPECT_EQ(dense.gemm_kernel, "sgemm_packed_b");
  expect_close(sparse.y, dense.y, 1e-4);
}

TEST(SparseWeights, PatternPrunedConvTakesThePatternKernel) {
  std::mt19937 rng(1);
  expect_kernels(random_pattern_weights(rng, 12 * 8, 0.3, 0.0), random_floats(rng, 7200),
                 "conv2d_pattern", "sgemm_packed_b");
}

TEST(SparseWeights, UnstructuredPrunedLayersTakeCsrKernels) {
  std::mt19937 rng(2);
  expect_kernels(random_sparse(rng, 12 * 8 * 9, 0.1), random_sparse(rng, 7200, 0.1), "conv2d_csr",
                 "sgemm_csr");
}

TEST(SparseWeights, BlockPrunedConvTakesTheBsrKernel) {
  std::mt19937 rng(5);
  expect_kernels(random_block_sparse(rng, 12, 8 * 9, BsrWeights::kFilters, 0.1),
                 random_floats(rng, 7200), "conv2d_bsr", "sgemm_packed_b");
}

TEST(SparseWeights, BlockPrunedGemmTakesTheBsrKernel) {
  std::mt19937 rng(6);
  // The Gemm's B is [K, N] = [1200, 6]: blocks of 4 consecutive outputs at one input.
  std::vector<float> fc = random_block_sparse(rng, 6, 1200, BsrGemmWeights::kRows, 0.05), b(7200);
  for (int64_t j = 0; j < 6; ++j)
    for (int64_t k = 0; k < 1200; ++k) b[k * 6 + j] = fc[j * 1200 + k];
  Graph g = conv_gemm_model(random_floats(rng, 12 * 8 * 9), b);
  Compiled sparse = compile_and_run(g, true), dense = compile_and_run(g, false);
  EXPECT_EQ(sparse.gemm_kernel, "sgemm_bsr");
  EXPECT_EQ(dense.gemm_kernel, "sgemm_packed_b");
  expect_close(sparse.y, dense.y, 1e-4);
}

TEST(SparseWeights, DenseWeightsStayOnDenseKernels) {
  std::mt19937 rng(3);
  Graph g = conv_gemm_model(random_floats(rng, 12 * 8 * 9), random_floats(rng, 7200));
  Compiled c = compile_and_run(g, true);
  EXPECT_EQ(c.conv_kernel.rfind("conv2d/", 0), 0u) << c.conv_kernel;
  EXPECT_EQ(c.gemm_kernel, "sgemm_packed_b");
}

// The CSR Gemm against the definition for every C broadcast, beta and transpose of B.
TEST(SparseWeights, CsrGemmMatchesDenseAcrossOptions) {
  const int64_t M = 9, N = 19, K = 33;
  std::mt19937 rng(4);
  for (bool tb : {false, true})
    for (Shape cs : {Shape{}, Shape{N}, Shape{1, N}, Shape{M, 1}, Shape{M, N}, Shape{1}})
      for (float beta : {1.0f, 0.5f}) {
        Tensor a = tensor_of({M, K}, random_floats(rng, M * K));
        Tensor b = tensor_of(tb ? Shape{N, K} : Shape{K, N}, random_sparse(rng, N * K, 0.15));
        Tensor c = tensor_of(cs, random_floats(rng, shape_numel(cs)));
        Node n = make_node("Gemm", 3, {{"transB", int64_t(tb)}, {"alpha", 1.5f}, {"beta", beta}});
        SCOPED_TRACE(cat("tb=", tb, " C=", shape_str(cs), " beta=", beta));
        expect_close(run_impl(n, 13, {&a, &b, &c}, "sgemm_csr", 2),
                     run_impl(n, 13, {&a, &b, &c}, "reference"), 1e-5);
      }
}

}  // namespace
}  // namespace sinter::testing
