// The reference GEMM: a plain triple loop with a double accumulator, single-threaded.
#include "kernels/gemm/sgemm.h"

namespace sinter {

void sgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                     int64_t ldc, const GemmEpilogue& epi, ThreadPool*) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const float a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        acc += static_cast<double>(a) * b;
      }
      float v = alpha * static_cast<float>(acc);
      if (beta != 0.0f) v += beta * C[i * ldc + j];
      if (epi.bias_per_row) v += epi.bias_per_row[i];
      if (epi.bias_per_col) v += epi.bias_per_col[j];
      if (epi.residual) v += epi.residual[i * epi.ld_residual + j];
      C[i * ldc + j] = epi.activation.apply(v);
    }
  }
}

}  // namespace sinter
