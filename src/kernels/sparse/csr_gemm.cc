// CsrGemm: the weights' blocked CSR form, the transposed copy of A for many rows, and the split of
// output columns over threads. The arithmetic is in csr_gemm_portable.cc and csr_gemm_avx2.cc.
#include "kernels/sparse/csr_gemm.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "core/thread_pool.h"

namespace sinter {

CsrGemm::CsrGemm(bool trans_b, int64_t K, int64_t N, const float* b, float alpha, Isa isa)
    : k_(&sparse_kernels().at(isa)) {
  // Row j of W is column j of op(B).
  w_ = BlockedCsr::from_csr(trans_b ? CsrMatrix::from_dense(N, K, b, K, 1, alpha)
                                    : CsrMatrix::from_dense(N, K, b, 1, N, alpha));
}

void transpose_rows_of_a(int64_t M, int64_t K, const float* a, int64_t lda, int64_t ld_at,
                         std::vector<float>& at) {
  at.assign(static_cast<size_t>(K * ld_at), 0.0f);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k) at[k * ld_at + i] = a[i * lda + k];
}

void CsrGemm::run(int64_t M, const float* a, int64_t lda, float* y, int64_t ldy,
                  const GemmEpilogue& epi, float beta, ThreadPool* pool) const {
  const int64_t N = w_.rows, K = w_.cols;
  std::function<void(int64_t, int64_t, int)> columns;
  thread_local std::vector<float> transposed;  // the caller's; workers only read it
  if (M < kTransposeRows) {
    const auto rows = k_->csr_gemm_rows;
    columns = [&, rows](int64_t j0, int64_t j1, int) {
      rows(w_, M, a, lda, y, ldy, epi, beta, j0, j1);
    };
  } else {
    const int64_t ld_at = (M + 7) / 8 * 8;
    transpose_rows_of_a(M, K, a, lda, ld_at, transposed);
    const auto tr = k_->csr_gemm_transposed;
    const float* at = transposed.data();
    columns = [&, tr, at, ld_at](int64_t j0, int64_t j1, int) {
      tr(w_, M, at, ld_at, y, ldy, epi, beta, j0, j1);
    };
  }
  if (pool && pool->num_threads() > 1 && N > 1) {
    pool->parallel_range(N, 8, columns, 4);
  } else {
    columns(0, N, 0);
  }
}

}  // namespace sinter
