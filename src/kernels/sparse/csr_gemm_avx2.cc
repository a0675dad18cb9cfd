// The CSR GEMM's loop on transposed A: one broadcast nonzero times up to 8 vectors of 8 rows.
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {

template <int NV>
void transposed_block(const BlockedCsr& w, int64_t j, const float* at, int64_t ld_at, float* sums) {
  __m256 acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
  for (int64_t b = 0; b < w.blocks; ++b) {
    const float* block = at + b * BlockedCsr::kColumnBlock * ld_at;
    const int32_t* segment = w.segment_begin.data() + b * w.rows;
    for (int32_t k = segment[j]; k < segment[j + 1]; ++k) {
      const __m256 wt = _mm256_broadcast_ss(&w.value[k]);
      const float* in = block + static_cast<int64_t>(w.col[k]) * ld_at;
      for (int v = 0; v < NV; ++v)
        acc[v] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(in + 8 * v), acc[v]);
    }
  }
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(sums + 8 * v, acc[v]);
}

}  // namespace

void csr_gemm_transposed_avx2(const BlockedCsr& w, int64_t M, const float* at, int64_t ld_at,
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
