// The CSR GEMM's loops in plain C++: the gathering loop of every tier, and the portable tier's
// loop on transposed A.
#include <algorithm>
#include <vector>

#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

// Scalar: AVX2 and AVX-512 gathers of 8 or 16 floats ran slower than 8 scalar loads
// (VGG-16's 25088 x 4096 layer at 90 % zeros, Zen 5).
void csr_gemm_rows_portable(const BlockedCsr& w, int64_t M, const float* a, int64_t lda, float* y,
                            int64_t ldy, const GemmEpilogue& epi, float beta, int64_t j0,
                            int64_t j1) {
  thread_local std::vector<float> sums;
  for (int64_t i = 0; i < M; ++i) {
    sums.assign(static_cast<size_t>(j1 - j0), 0.0f);
    for (int64_t b = 0; b < w.blocks; ++b) {
      const float* x = a + i * lda + b * BlockedCsr::kColumnBlock;
      const int32_t* segment = w.segment_begin.data() + b * w.rows;
      for (int64_t j = j0; j < j1; ++j) {
        // Eight partial sums: the adds of one sum would otherwise wait on each other.
        float s[8] = {};
        int32_t k = segment[j];
        const int32_t end = segment[j + 1];
        for (; k + 7 < end; k += 8)
          for (int u = 0; u < 8; ++u) s[u] += w.value[k + u] * x[w.col[k + u]];
        for (; k < end; ++k) s[0] += w.value[k] * x[w.col[k]];
        sums[j - j0] += ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
      }
    }
    for (int64_t j = j0; j < j1; ++j) {
      float* out = y + i * ldy + j;
      *out = finish_gemm_output(epi, beta, sums[j - j0], out, i, j);
    }
  }
}

void csr_gemm_transposed_portable(const BlockedCsr& w, int64_t M, const float* at, int64_t ld_at,
                                  float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                                  int64_t j0, int64_t j1) {
  constexpr int64_t kRows = 32;
  for (int64_t j = j0; j < j1; ++j)
    for (int64_t i0 = 0; i0 < M; i0 += kRows) {
      float acc[kRows] = {};
      const int64_t rows = std::min(kRows, ld_at - i0);
      for (int64_t b = 0; b < w.blocks; ++b) {
        const float* block = at + b * BlockedCsr::kColumnBlock * ld_at + i0;
        const int32_t* segment = w.segment_begin.data() + b * w.rows;
        for (int32_t k = segment[j]; k < segment[j + 1]; ++k) {
          const float wt = w.value[k];
          const float* in = block + w.col[k] * ld_at;
          for (int64_t r = 0; r < rows; ++r) acc[r] += wt * in[r];
        }
      }
      for (int64_t i = i0; i < std::min(M, i0 + kRows); ++i) {
        float* out = y + i * ldy + j;
        *out = finish_gemm_output(epi, beta, acc[i - i0], out, i, j);
      }
    }
}

}  // namespace sinter::detail
