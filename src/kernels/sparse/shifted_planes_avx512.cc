// The sparse convolutions' input copy with AVX-512: each padded row in whole vectors, every
// vector one masked load (two and a permute at stride 2) and one store, where the portable
// copy's three library calls a row took a third of a 64-channel layer's time
// (bench/sparse_bench.cc, ResNet-18's 56x56 layer).
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {

// Lanes [lo, hi) of 16, none when hi <= lo.
__mmask16 lanes(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0);
  hi = std::min<int64_t>(hi, 16);
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// Inputs [j - start, j - start + 16) of the row (every stride_w-th float of in), zero where they
// fall outside [0, count). Masked lanes are not read.
template <int kStride>
__m512 padded_vector(const float* in, int64_t j, int64_t start, int64_t count) {
  const int64_t first = j - start;  // the input index of lane 0
  const float* at = in + first * kStride;
  if constexpr (kStride == 1) {
    return _mm512_maskz_loadu_ps(lanes(-first, count - first), at);
  } else {
    // Lane l is float 2 l of 32 read in two halves; the odd floats between kept lanes are read
    // too (they lie inside the row) and dropped by the permute.
    const int64_t lo = 2 * -first, hi = 2 * (count - first) - 1;
    const __m512 a = _mm512_maskz_loadu_ps(lanes(lo, hi), at);
    const __m512 b = _mm512_maskz_loadu_ps(lanes(lo - 16, hi - 16), at + 16);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, even, b);
  }
}

template <int kStride>
void copy_rows(const float* src, int64_t src_stride, int64_t count, int64_t start, float* dst,
               int64_t row_length, int64_t rows) {
  const int64_t whole = row_length / 16 * 16;
  const __mmask16 tail = lanes(0, row_length - whole);
  for (int64_t q = 0; q < rows; ++q) {
    float* row = dst + q * row_length;
    const float* in = src + q * src_stride;
    for (int64_t j = 0; j < whole; j += 16)
      _mm512_storeu_ps(row + j, padded_vector<kStride>(in, j, start, count));
    if (tail)
      _mm512_mask_storeu_ps(row + whole, tail, padded_vector<kStride>(in, whole, start, count));
  }
}

}  // namespace

void copy_padded_rows_avx512(const float* src, int64_t src_stride, int64_t stride_w, int64_t count,
                             int64_t start, float* dst, int64_t row_length, int64_t rows) {
  if (stride_w == 1) return copy_rows<1>(src, src_stride, count, start, dst, row_length, rows);
  if (stride_w == 2) return copy_rows<2>(src, src_stride, count, start, dst, row_length, rows);
  copy_padded_rows_portable(src, src_stride, stride_w, count, start, dst, row_length, rows);
}

}  // namespace sinter::detail
