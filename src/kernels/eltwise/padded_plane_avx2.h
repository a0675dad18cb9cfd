#pragma once
// Shared by the AVX2 sliding-window kernels (depthwise conv, pooling), which copy each input
// plane into a bordered scratch plane so their inner loops read whole vectors with no bounds
// checks. Include only from *_avx2.cc files.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace sinter::kernels::avx2 {

// Output size, output width rounded to whole vectors, and the scratch plane's padded size.
struct PaddedPlane {
  int64_t oh, ow, owv, hp, wp;
};

// `oh`/`ow` are the output size; the padded plane holds the input at (pad_top, pad_left) and
// is tall and wide enough that every vector of 8 outputs reads inside it. A stride-2 vector
// reads 16 floats from each tap, so 2*owv + kernel columns suffice.
inline PaddedPlane padded_plane(int64_t in_h, int64_t in_w, int64_t oh, int64_t ow,
                                int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                                int64_t stride_w, int64_t pad_top, int64_t pad_left,
                                int64_t pad_bottom, int64_t pad_right) {
  PaddedPlane g;
  g.oh = oh;
  g.ow = ow;
  g.owv = (ow + 7) / 8 * 8;
  g.hp = std::max(in_h + pad_top + pad_bottom, (oh - 1) * stride_h + kernel_h);
  g.wp = std::max(in_w + pad_left + pad_right, stride_w * g.owv + kernel_w);
  return g;
}

// 8 consecutive outputs' inputs for one tap. Stride 2 picks the even lanes of 16 floats, giving
// lane order 0,1,4,5,2,3,6,7; sums and maxima don't care, and fix_order() restores the order
// once per vector.
template <int S>
inline __m256 tap(const float* at) {
  if constexpr (S == 1) {
    return _mm256_loadu_ps(at);
  } else {
    return _mm256_shuffle_ps(_mm256_loadu_ps(at), _mm256_loadu_ps(at + 8), 0x88);
  }
}
template <int S>
inline __m256 fix_order(__m256 v) {
  if constexpr (S == 1) return v;
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

}  // namespace sinter::kernels::avx2
