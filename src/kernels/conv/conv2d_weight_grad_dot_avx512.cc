// AVX-512 tiles of the dot-product weight gradient: conv2d_weight_grad_dot_avx2.cc at 16 floats
// a vector. Up to 12 zmm accumulators (dY rows x taps), each k step one load per dY row and per
// tap, the last pixels through masked loads (nothing past a run is read), then one reduction
// per accumulator and tile.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv/conv2d_training_kernels.h"
#include "kernels/conv/conv2d_weight_grad_dot.h"

namespace sinter::detail {
namespace {

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
  __m512 acc[MB][TB];
#pragma GCC unroll 8
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < TB; ++j) acc[i][j] = _mm512_setzero_ps();
  const __mmask16 mask = static_cast<__mmask16>((1u << (o.len % 16)) - 1);
  for (int64_t n = 0; n < o.images; ++n) {
    const float* ar[MB];
    const float* br[TB];
#pragma GCC unroll 8
    for (int i = 0; i < MB; ++i) ar[i] = o.a + n * o.a_image + i * o.lda;
#pragma GCC unroll 4
    for (int j = 0; j < TB; ++j) br[j] = o.b[j] + n * o.b_image;
    auto step = [&](auto load, int64_t k) {
      __m512 bv[TB];
#pragma GCC unroll 4
      for (int j = 0; j < TB; ++j) bv[j] = load(br[j] + k);
#pragma GCC unroll 8
      for (int i = 0; i < MB; ++i) {
        const __m512 av = load(ar[i] + k);
#pragma GCC unroll 4
        for (int j = 0; j < TB; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
      }
    };
    int64_t k = 0;
    for (; k + 16 <= o.len; k += 16) step([](const float* p) { return _mm512_loadu_ps(p); }, k);
    if (k < o.len) step([mask](const float* p) { return _mm512_maskz_loadu_ps(mask, p); }, k);
  }
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < TB; ++j) out[i * ldo + j] += _mm512_reduce_add_ps(acc[i][j]);
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

void weight_grad_dot_avx512(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
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
