#pragma once
// Shared by the AVX-512 sliding-window kernels (depthwise convolution, pooling), which copy each
// input plane into a bordered scratch plane so that their inner loops read whole 16-float vectors
// with no bounds checks. The AVX-512 counterpart of eltwise/padded_plane_avx2.h; include only
// from *_avx512.cc files.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace sinter::kernels::avx512 {

// Output size, output width rounded to whole vectors, and the scratch plane's padded size.
struct PaddedPlane {
  int64_t oh, ow, owv, hp, wp;
};

// The padded plane holds the input at (pad_top, pad_left) and is tall and wide enough that
// every vector of 16 outputs reads inside it: a stride-2 vector reads 32 floats from each tap,
// so 2*owv + kernel columns suffice. wp is a multiple of 16.
inline PaddedPlane padded_plane(int64_t in_h, int64_t in_w, int64_t oh, int64_t ow,
                                int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                                int64_t stride_w, int64_t pad_top, int64_t pad_left,
                                int64_t pad_bottom, int64_t pad_right) {
  PaddedPlane g;
  g.oh = oh;
  g.ow = ow;
  g.owv = (ow + 15) / 16 * 16;
  g.hp = std::max(in_h + pad_top + pad_bottom, (oh - 1) * stride_h + kernel_h);
  g.wp = std::max(in_w + pad_left + pad_right, stride_w * g.owv + kernel_w);
  g.wp = (g.wp + 15) / 16 * 16;
  return g;
}

// The first n (0..16) lanes.
inline __mmask16 tail_mask(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1);
}

// 16 consecutive outputs' inputs for one tap, in order (stride 2: the even floats of 32).
template <int S>
inline __m512 tap(const float* at) {
  if constexpr (S == 1) {
    return _mm512_loadu_ps(at);
  } else {
    static_assert(S == 2);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(at), even, _mm512_loadu_ps(at + 16));
  }
}

// Copies a row of n floats to dst in whole vectors; lanes past the row's end hold `fill` and
// land in padding or in the next row's interior, which its own copy then overwrites (dst must
// have 16 floats of slack past the plane). Returns the lanes that held a NaN.
inline __mmask16 copy_row(const float* src, int64_t n, float* dst, __m512 fill) {
  __mmask16 nan = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(src + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    _mm512_storeu_ps(dst + i, v);
  }
  if (i < n) {
    const __m512 v = _mm512_mask_loadu_ps(fill, tail_mask(n - i), src + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    _mm512_storeu_ps(dst + i, v);
  }
  return nan;
}

// Stores 16 outputs at y[i] of a plane of `size` floats: a vector cut by a row's end spills into
// the next rows, written later; only one that would leave the plane stops at its edge.
inline void store_in_plane(float* y, int64_t i, int64_t size, __m512 v) {
  if (i + 16 <= size) {
    _mm512_storeu_ps(y + i, v);
  } else {
    _mm512_mask_storeu_ps(y + i, tail_mask(size - i), v);
  }
}

}  // namespace sinter::kernels::avx512
