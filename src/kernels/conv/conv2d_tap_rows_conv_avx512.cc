// AVX-512 tiles of the tap-rows convolution: 12 zmm accumulators (6 channels x 32 pixels), each
// tap two loads of its run and six weight broadcasts; the last block of pixels loads and stores
// through masks, so nothing past the runs is read.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_tap_rows_conv.h"
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {
namespace {

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF)
                 : static_cast<__mmask16>((1u << std::max<int64_t>(n, 0)) - 1);
}

// Output channels [r0, r0 + mr) x pixels [p0, p0 + 32) (the first n of them); Full: n == 32.
template <bool Full>
inline void block(const float* a, int64_t taps, const int64_t* off, const float* base, int64_t mr,
                  int n, float* y, int64_t ldy) {
  const __mmask16 m0 = first_lanes(n), m1 = first_lanes(n - 16);
  __m512 acc[6][2];
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t t = 0; t < taps; ++t, a += 6) {
    const float* b = base + off[t];
    const __m512 b0 = Full ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(m0, b);
    const __m512 b1 = Full ? _mm512_loadu_ps(b + 16) : _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const __m512 w = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(w, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(w, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
    if (i >= mr) break;
    float* out = y + i * ldy;
    if constexpr (Full) {
      _mm512_storeu_ps(out, acc[i][0]);
      _mm512_storeu_ps(out + 16, acc[i][1]);
    } else {
      _mm512_mask_storeu_ps(out, m0, acc[i][0]);
      _mm512_mask_storeu_ps(out + 16, m1, acc[i][1]);
    }
  }
}

}  // namespace

void tap_rows_conv_avx512(const float* packed_w, int64_t rows, const TapRows& l,
                          const float* planes, int64_t pixels, float* y, int64_t ldy) {
  const int64_t taps = static_cast<int64_t>(l.tap_offset.size());
  const int64_t* off = l.tap_offset.data();
  // Pixel blocks outer: a block's runs (taps x 128 bytes) stay in L1 across the channel blocks.
  for (int64_t p0 = 0; p0 < pixels; p0 += 32) {
    const int n = static_cast<int>(std::min<int64_t>(32, pixels - p0));
    for (int64_t r0 = 0; r0 < rows; r0 += 6) {
      const float* a = packed_w + r0 * taps;
      const int64_t mr = std::min<int64_t>(6, rows - r0);
      float* out = y + r0 * ldy + p0;
      if (n == 32) {
        block<true>(a, taps, off, planes + p0, mr, n, out, ldy);
      } else {
        block<false>(a, taps, off, planes + p0, mr, n, out, ldy);
      }
    }
  }
}

}  // namespace sinter::detail
