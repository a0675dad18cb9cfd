// AVX2 tiles of the dot-product weight gradient: up to 12 ymm accumulators (dY rows x taps),
// each k step one load per dY row and per tap, then one horizontal reduction per tile.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_training_kernels.h"
#include "kernels/conv/conv2d_weight_grad_dot.h"

namespace sinter::detail {
namespace {

// The 8 lane sums of v[0..7], in order.
inline __m256 sum_lanes8(const __m256* v) {
  const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// The operands of one tile: rows of dY and runs of taps, `images` of each, `len` floats long.
struct DotOperands {
  const float* a;  // row i of image n at a + n * a_image + i * lda
  int64_t lda, a_image;
  const float* b[3];  // tap j of image n at b[j] + n * b_image
  int64_t b_image;
  int64_t images, len;
};

// out[i * ldo + j] += sum over images of dot(row i, tap j), i < MB, j < TB.
template <int MB, int TB>
void dot_tile(const DotOperands& o, float* out, int64_t ldo) {
  __m256 acc[MB][TB];
#pragma GCC unroll 8
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(o.len % 8)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int64_t n = 0; n < o.images; ++n) {
    const float* ar[MB];
    const float* br[TB];
#pragma GCC unroll 8
    for (int i = 0; i < MB; ++i) ar[i] = o.a + n * o.a_image + i * o.lda;
#pragma GCC unroll 4
    for (int j = 0; j < TB; ++j) br[j] = o.b[j] + n * o.b_image;
    auto step = [&](auto load, int64_t k) {
      __m256 bv[TB];
#pragma GCC unroll 4
      for (int j = 0; j < TB; ++j) bv[j] = load(br[j] + k);
#pragma GCC unroll 8
      for (int i = 0; i < MB; ++i) {
        const __m256 av = load(ar[i] + k);
#pragma GCC unroll 4
        for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
      }
    };
    int64_t k = 0;
    for (; k + 8 <= o.len; k += 8) step([](const float* p) { return _mm256_loadu_ps(p); }, k);
    // The last pixels: both operands masked, so nothing past the run is read.
    if (k < o.len) step([mask](const float* p) { return _mm256_maskload_ps(p, mask); }, k);
  }
  __m256 v[16];
#pragma GCC unroll 16
  for (int t = 0; t < 16; ++t) v[t] = t < MB * TB ? acc[t / TB][t % TB] : _mm256_setzero_ps();
  alignas(32) float sums[16];
  _mm256_store_ps(sums, sum_lanes8(v));
  if constexpr (MB * TB > 8) _mm256_store_ps(sums + 8, sum_lanes8(v + 8));
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < TB; ++j) out[i * ldo + j] += sums[i * TB + j];
}

using DotTileFn = void (*)(const DotOperands&, float*, int64_t);

template <int MB>
DotTileFn tile_fn(int tb) {
  if constexpr (MB * 3 <= 12) {
    if (tb == 3) return dot_tile<MB, 3>;
  }
  return tb == 2 ? dot_tile<MB, 2> : dot_tile<MB, 1>;
}

DotTileFn tile_fn(int mb, int tb) {
  switch (mb) {
    case 1:
      return tile_fn<1>(tb);
    case 2:
      return tile_fn<2>(tb);
    case 3:
      return tile_fn<3>(tb);
    case 4:
      return tile_fn<4>(tb);
    case 5:
      return tile_fn<5>(tb);
    default:
      return tile_fn<6>(tb);
  }
}

}  // namespace

void weight_grad_dot_avx2(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
                          const float* planes, int64_t images, int64_t t0, int64_t t1,
                          float* partial, int64_t ld) {
  const int64_t Mg = s.M / s.group, P = s.OH() * s.OW();
  DotOperands o;
  o.lda = P;
  o.a_image = s.M * P;
  o.b_image = l.floats;
  o.images = images;
  o.len = P;
  // dY rows outer: a tile's rows stay in cache while the taps stream past them.
  for (int64_t m0 = 0; m0 < Mg; m0 += tile.rows) {
    const int mb = static_cast<int>(std::min<int64_t>(tile.rows, Mg - m0));
    o.a = dy + m0 * P;
    for (int64_t t = t0; t < t1; t += tile.taps) {
      const int tb = static_cast<int>(std::min<int64_t>(tile.taps, t1 - t));
      for (int j = 0; j < tb; ++j) o.b[j] = planes + l.tap_offset[static_cast<size_t>(t + j)];
      tile_fn(mb, tb)(o, partial + m0 * ld + t, ld);
    }
  }
}

}  // namespace sinter::detail
