// The AVX2 tier of the concatenation's requantization: 8 bytes a step (the tail through a
// zero-padded copy), the portable tier's operations in its order.
#include <immintrin.h>

#include <cstring>

#include "kernels/qeltwise/qconcat.h"

namespace sinter::kernels::detail {

namespace {
struct Requant8 {
  __m256 m, lo, hi;
  __m256i zx, zy;

  explicit Requant8(const ByteRequant& r)
      : m(_mm256_set1_ps(r.multiplier)),
        lo(_mm256_set1_ps(static_cast<float>(-r.y_zero_point))),
        hi(_mm256_set1_ps(static_cast<float>(255 - r.y_zero_point))),
        zx(_mm256_set1_epi32(r.x_zero_point)),
        zy(_mm256_set1_epi32(r.y_zero_point)) {}

  // Reads and writes 8 bytes at each pointer.
  void operator()(const uint8_t* x, uint8_t* y) const {
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x)));
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, zx)), m);
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), zy);  // within [0, 255]
    const __m128i words =
        _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y), _mm_packus_epi16(words, words));
  }
};

void requant(const uint8_t* x, int64_t n, const ByteRequant& r, uint8_t* y) {
  const Requant8 requant8(r);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) requant8(x + i, y + i);
  if (i < n) {
    const auto left = static_cast<size_t>(n - i);
    uint8_t xt[8] = {}, yt[8];
    std::memcpy(xt, x + i, left);
    requant8(xt, yt);
    std::memcpy(y + i, yt, left);
  }
}
}  // namespace

const QConcatKernels& qconcat_kernels_avx2() {
  static const QConcatKernels k{requant};
  return k;
}

}  // namespace sinter::kernels::detail
