#pragma once
// The fully-connected layer of a pruned model: Y = act(A W^T + beta * Y + epilogue terms) with A
// [M x K] dense and W a constant sparse [N x K] in compressed sparse rows cut into column blocks
// (BlockedCsr; row j: output column j's weights). For a few rows of A each output is a sparse dot
// product gathering A's entries, a column block at a time;
// for 8 rows or more A is transposed once per run so that one nonzero multiplies 8 rows of A in
// a vector. Tested against sgemm_reference with the dense weights.
#include <cstdint>
#include <vector>

#include "kernels/gemm/sgemm.h"
#include "kernels/sparse/blocked_csr.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

// What the epilogue makes of output (i, j)'s sum; the rule of GemmEpilogue and sgemm's beta.
inline float finish_gemm_output(const GemmEpilogue& e, float beta, float sum, const float* y_old,
                                int64_t i, int64_t j) {
  float v = sum;
  if (beta != 0.0f) v += beta * *y_old;
  if (e.bias_per_row) v += e.bias_per_row[i];
  if (e.bias_per_col) v += e.bias_per_col[j];
  if (e.residual) v += e.residual[i * e.ld_residual + j];
  return e.activation.apply(v);
}

// A [M x K] (row stride lda) transposed into at: at[k * ld_at + i] = A[i][k], rows i >= M zero.
// The sparse Gemms' many-rows path, so that one weight multiplies a vector of rows of A.
void transpose_rows_of_a(int64_t M, int64_t K, const float* a, int64_t lda, int64_t ld_at,
                         std::vector<float>& at);

class CsrGemm {
 public:
  static constexpr int64_t kTransposeRows = 8;  // rows of A from which A is transposed first

  // W = alpha * op(B)^T, where op(B) is K x N: B is [K, N], or [N, K] when trans_b.
  // The loops are those of `isa`'s tier (sparse_kernels.h).
  CsrGemm(bool trans_b, int64_t K, int64_t N, const float* b, float alpha, Isa isa = active_isa());
  // Y[M x N] (row stride ldy) from A[M x K] (row stride lda); beta == 0 never reads Y.
  void run(int64_t M, const float* a, int64_t lda, float* y, int64_t ldy, const GemmEpilogue& epi,
           float beta, ThreadPool* pool) const;

  int64_t nonzeros() const { return w_.nonzeros(); }

 private:
  BlockedCsr w_;
  const SparseKernels* k_;
};

}  // namespace sinter
