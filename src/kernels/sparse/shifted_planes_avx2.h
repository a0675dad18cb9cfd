#pragma once
// ShiftedPlanes::store_tile on 8 lanes, for the sparse convolutions' AVX2 loops (include only
// from *_avx2.cc).
#include <immintrin.h>

#include "kernels/eltwise/activation_avx2.h"
#include "kernels/eltwise/vec_math_avx2.h"
#include "kernels/sparse/shifted_planes.h"

namespace sinter::kernels::avx2 {

inline void store_shifted_tile(const ShiftedPlanes& p, const __m256* acc, int64_t tile, float bias,
                               const float* residual, const VecActivation& act, float* y) {
  // 8 floats of room past the tile: a run's last vector may start less than 8 from its end.
  alignas(32) float sums[ShiftedPlanes::kTile + 8];
  for (int64_t v = 0; v < ShiftedPlanes::kTile / 8; ++v) _mm256_store_ps(sums + 8 * v, acc[v]);
  const __m256 b = _mm256_set1_ps(bias);
  p.for_each_run(tile, [&](int64_t j, int64_t out, int64_t n) {
    for (int64_t i = 0; i < n; i += 8) {
      const int64_t left = n - i;
      __m256 r = _mm256_add_ps(_mm256_loadu_ps(sums + j + i), b);
      if (left >= 8) {
        if (residual) r = _mm256_add_ps(r, _mm256_loadu_ps(residual + out + i));
        _mm256_storeu_ps(y + out + i, act(r));
      } else {
        if (residual) r = _mm256_add_ps(r, load_partial(residual + out + i, left));
        store_partial(y + out + i, act(r), left);
      }
    }
  });
}

}  // namespace sinter::kernels::avx2
