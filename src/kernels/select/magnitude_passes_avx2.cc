// The AVX2 tier of the magnitude passes: 8 magnitudes per compare; AVX2 has no compress, so the
// kept lanes move to the front by a permutation looked up from the compare's bit mask, and are
// stored whole at the write position (which never passes the read position, so out may be x);
// sums converted to double, in four chains of four lanes (the moments in two of each).
#include <immintrin.h>

#include <array>
#include <bit>
#include <cmath>

#include "kernels/select/magnitude_passes.h"

namespace sinter::kernels::detail {

namespace {

// For each 8-bit mask, the lanes whose bit is set, in order, then zeros.
constexpr std::array<std::array<int32_t, 8>, 256> kPackLanes = [] {
  std::array<std::array<int32_t, 8>, 256> table{};
  for (int mask = 0; mask < 256; ++mask) {
    int next = 0;
    for (int lane = 0; lane < 8; ++lane)
      if (mask & (1 << lane)) table[mask][next++] = lane;
  }
  return table;
}();

__m256i pack_lanes(int mask) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kPackLanes[mask].data()));
}

__m256 magnitude(const float* x) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(x));
}

__m256d low_half(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
__m256d high_half(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

double horizontal_sum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

double sum_of_magnitudes_avx2(const float* x, int64_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = magnitude(x + i), v1 = magnitude(x + i + 8);
    a0 = _mm256_add_pd(a0, low_half(v0));
    a1 = _mm256_add_pd(a1, high_half(v0));
    a2 = _mm256_add_pd(a2, low_half(v1));
    a3 = _mm256_add_pd(a3, high_half(v1));
  }
  double sum = horizontal_sum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  for (; i < n; ++i) sum += std::fabs(x[i]);
  return sum;
}

ExcessSums excess_sums_avx2(const float* m, int64_t n, double base) {
  const __m256d b = _mm256_set1_pd(base);
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, q0 = s0, q1 = s0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(m + i);
    const __m256d y0 = _mm256_sub_pd(low_half(v), b), y1 = _mm256_sub_pd(high_half(v), b);
    s0 = _mm256_add_pd(s0, y0);
    s1 = _mm256_add_pd(s1, y1);
    q0 = _mm256_fmadd_pd(y0, y0, q0);
    q1 = _mm256_fmadd_pd(y1, y1, q1);
  }
  ExcessSums s{horizontal_sum(_mm256_add_pd(s0, s1)), horizontal_sum(_mm256_add_pd(q0, q1))};
  for (; i < n; ++i) {
    const double y = m[i] - base;
    s.sum += y;
    s.squares += y * y;
  }
  return s;
}

int64_t keep_above_avx2(const float* x, int64_t n, float t, float* out) {
  const __m256 tv = _mm256_set1_ps(t);
  int64_t kept = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = magnitude(x + i);
    const int k = _mm256_movemask_ps(_mm256_cmp_ps(v, tv, _CMP_GT_OQ));
    _mm256_storeu_ps(out + kept, _mm256_permutevar8x32_ps(v, pack_lanes(k)));
    kept += std::popcount(static_cast<unsigned>(k));
  }
  for (; i < n; ++i) {
    const float v = std::fabs(x[i]);
    out[kept] = v;
    kept += v > t;
  }
  return kept;
}

int64_t count_above_avx2(const float* x, int64_t n, float t) {
  const __m256 tv = _mm256_set1_ps(t);
  int64_t count = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    const int k = _mm256_movemask_ps(_mm256_cmp_ps(magnitude(x + i), tv, _CMP_GT_OQ));
    count += std::popcount(static_cast<unsigned>(k));
  }
  for (; i < n; ++i) count += std::fabs(x[i]) > t;
  return count;
}

int64_t indices_above_avx2(const float* x, int64_t n, float t, uint32_t* indices) {
  const __m256 tv = _mm256_set1_ps(t);
  const __m256i step = _mm256_set1_epi32(8);
  __m256i position = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  int64_t kept = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    const int k = _mm256_movemask_ps(_mm256_cmp_ps(magnitude(x + i), tv, _CMP_GT_OQ));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(indices + kept),
                        _mm256_permutevar8x32_epi32(position, pack_lanes(k)));
    kept += std::popcount(static_cast<unsigned>(k));
    position = _mm256_add_epi32(position, step);
  }
  for (; i < n; ++i) {
    indices[kept] = static_cast<uint32_t>(i);
    kept += std::fabs(x[i]) > t;
  }
  return kept;
}

}  // namespace

const MagnitudeKernels& magnitude_kernels_avx2() {
  static constinit const MagnitudeKernels k{sum_of_magnitudes_avx2, excess_sums_avx2,
                                            keep_above_avx2, count_above_avx2, indices_above_avx2};
  return k;
}

}  // namespace sinter::kernels::detail
