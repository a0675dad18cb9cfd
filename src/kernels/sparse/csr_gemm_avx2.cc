// The CSR GEMM's loops: for few rows, 8 nonzeros at a time gathered from the row of A; for many,
// one broadcast nonzero times up to 8 vectors of 8 rows of transposed A.
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {

float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int NV>
void transposed_block(const CsrMatrix& w, int64_t j, const float* at, int64_t ld_at, float* sums) {
  __m256 acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
  for (int32_t k = w.row_begin[j]; k < w.row_begin[j + 1]; ++k) {
    const __m256 wt = _mm256_broadcast_ss(&w.value[k]);
    const float* in = at + static_cast<int64_t>(w.col[k]) * ld_at;
    for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(in + 8 * v), acc[v]);
  }
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(sums + 8 * v, acc[v]);
}

}  // namespace

void csr_gemm_rows_avx2(const CsrMatrix& w, int64_t M, const float* a, int64_t lda, float* y,
                        int64_t ldy, const GemmEpilogue& epi, float beta, int64_t j0, int64_t j1) {
  for (int64_t i = 0; i < M; ++i) {
    const float* ai = a + i * lda;
    for (int64_t j = j0; j < j1; ++j) {
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int32_t k = w.row_begin[j];
      const int32_t end = w.row_begin[j + 1];
      for (; k + 15 < end; k += 16) {
        const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&w.col[k]));
        const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&w.col[k + 8]));
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(&w.value[k]), _mm256_i32gather_ps(ai, c0, 4), acc0);
        acc1 =
            _mm256_fmadd_ps(_mm256_loadu_ps(&w.value[k + 8]), _mm256_i32gather_ps(ai, c1, 4), acc1);
      }
      float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
      for (; k < end; ++k) sum += w.value[k] * ai[w.col[k]];
      float* out = y + i * ldy + j;
      *out = finish_gemm_output(epi, beta, sum, out, i, j);
    }
  }
}

void csr_gemm_transposed_avx2(const CsrMatrix& w, int64_t M, const float* at, int64_t ld_at,
                              float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                              int64_t j0, int64_t j1) {
  constexpr int64_t kRows = 64;
  alignas(32) float sums[kRows];
  for (int64_t j = j0; j < j1; ++j)
    for (int64_t i0 = 0; i0 < M; i0 += kRows) {
      switch (std::min<int64_t>(8, (ld_at - i0) / 8)) {
        case 1:
          transposed_block<1>(w, j, at + i0, ld_at, sums);
          break;
        case 2:
          transposed_block<2>(w, j, at + i0, ld_at, sums);
          break;
        case 3:
          transposed_block<3>(w, j, at + i0, ld_at, sums);
          break;
        case 4:
          transposed_block<4>(w, j, at + i0, ld_at, sums);
          break;
        case 5:
          transposed_block<5>(w, j, at + i0, ld_at, sums);
          break;
        case 6:
          transposed_block<6>(w, j, at + i0, ld_at, sums);
          break;
        case 7:
          transposed_block<7>(w, j, at + i0, ld_at, sums);
          break;
        default:
          transposed_block<8>(w, j, at + i0, ld_at, sums);
          break;
      }
      for (int64_t i = i0; i < std::min(M, i0 + kRows); ++i) {
        float* out = y + i * ldy + j;
        *out = finish_gemm_output(epi, beta, sums[i - i0], out, i, j);
      }
    }
}

}  // namespace sinter::detail
