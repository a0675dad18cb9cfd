// The CSR GEMM's loops in plain C++ (the portable tier).
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void csr_gemm_rows_portable(const CsrMatrix& w, int64_t M, const float* a, int64_t lda, float* y,
                            int64_t ldy, const GemmEpilogue& epi, float beta, int64_t j0,
                            int64_t j1) {
  for (int64_t i = 0; i < M; ++i) {
    const float* ai = a + i * lda;
    for (int64_t j = j0; j < j1; ++j) {
      // Four partial sums: the adds of one sum would otherwise wait on each other.
      float s[4] = {};
      int32_t k = w.row_begin[j];
      const int32_t end = w.row_begin[j + 1];
      for (; k + 3 < end; k += 4)
        for (int u = 0; u < 4; ++u) s[u] += w.value[k + u] * ai[w.col[k + u]];
      for (; k < end; ++k) s[0] += w.value[k] * ai[w.col[k]];
      float* out = y + i * ldy + j;
      *out = finish_gemm_output(epi, beta, (s[0] + s[1]) + (s[2] + s[3]), out, i, j);
    }
  }
}

void csr_gemm_transposed_portable(const CsrMatrix& w, int64_t M, const float* at, int64_t ld_at,
                                  float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                                  int64_t j0, int64_t j1) {
  constexpr int64_t kRows = 32;
  for (int64_t j = j0; j < j1; ++j)
    for (int64_t i0 = 0; i0 < M; i0 += kRows) {
      float acc[kRows] = {};
      const int64_t rows = std::min(kRows, ld_at - i0);
      for (int32_t k = w.row_begin[j]; k < w.row_begin[j + 1]; ++k) {
        const float wt = w.value[k];
        const float* in = at + w.col[k] * ld_at + i0;
        for (int64_t r = 0; r < rows; ++r) acc[r] += wt * in[r];
      }
      for (int64_t i = i0; i < std::min(M, i0 + kRows); ++i) {
        float* out = y + i * ldy + j;
        *out = finish_gemm_output(epi, beta, acc[i - i0], out, i, j);
      }
    }
}

}  // namespace sinter::detail
