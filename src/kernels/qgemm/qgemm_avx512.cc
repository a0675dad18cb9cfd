// The AVX-512 tier of the integer GEMM, with AVX-512-VNNI: per k quad, each row's 4 bytes are
// broadcast as one 32-bit lane value and vpdpbusd adds their products with a block's 4 x 16
// weights into 16 exact s32 sums (u8 x s8 products summed in 32 bits: no 16-bit saturation, unlike
// vpmaddubsw). Instantiated for every tile size so the accumulators stay in registers. The
// functions carry their own target (this tier's files are built without -mavx512vnni).
#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>

#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels::detail {

namespace {

// kOffsets: k blocks at t.a_block_offsets (a window's taps) rather than every a_block_stride bytes;
// a choice made per tile, outside the loop, where a test per block costs a fifth of the speed.
template <int B, int R, bool kOffsets>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tile_of(const QTile& t) {
  __m512i acc[B][R];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[b][r] = _mm512_setzero_si512();
  const int8_t* w = t.w;
  for (int64_t kb = 0; kb < t.k_blocks; ++kb) {
    const uint8_t* a = t.a + (kOffsets ? t.a_block_offsets[kb] : kb * t.a_block_stride);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m512i wv[B];
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) wv[b] = _mm512_load_si512(w + b * 64);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        int32_t quad;
        std::memcpy(&quad, a + r * t.a_row_stride + q * 4, 4);
        const __m512i av = _mm512_set1_epi32(quad);
#pragma GCC unroll 4
        for (int b = 0; b < B; ++b) acc[b][r] = _mm512_dpbusd_epi32(acc[b][r], av, wv[b]);
      }
      w += B * 64;
    }
  }
  if (!t.requant) {
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r)
        _mm512_storeu_si512(t.c + r * t.c_row_stride + b * t.c_block_stride, acc[b][r]);
    return;
  }
  // requantize_value on 16 lanes: wrapping add, float multiply, the residual's fused multiply-add,
  // clamp, round to nearest even (the default MXCSR mode of vcvtps2dq), add the zero point, store
  // the low bytes.
  const QRequant& q = *t.requant;
  const __m512 lo = _mm512_set1_ps(static_cast<float>(q.lo - q.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(q.hi - q.zero_point));
  const __m512i zero_point = _mm512_set1_epi32(q.zero_point);
  const __m512 residual_multiplier = _mm512_set1_ps(q.residual_multiplier);
  const __m512i residual_zero_point = _mm512_set1_epi32(q.residual_zero_point);
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const __m512i bias = _mm512_loadu_si512(q.bias + b * 16);
    const __m512 multiplier = _mm512_loadu_ps(q.multiplier + b * 16);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[b][r], bias)), multiplier);
      if (t.residual) {
        const __m512i residual =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                t.residual + r * t.residual_row_stride + b * t.residual_block_stride)));
        v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(residual, residual_zero_point)),
                            residual_multiplier, v);
      }
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);  // operand order: a NaN becomes lo, as in C++
      const __m512i out = _mm512_add_epi32(_mm512_cvtps_epi32(v), zero_point);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(t.y + r * t.y_row_stride + b * t.y_block_stride),
                       _mm512_cvtepi32_epi8(out));
    }
  }
}

using TileFn = void (*)(const QTile&);

template <int B, bool kOffsets, int... R>
constexpr std::array<TileFn, kQTileRows> row_of(std::integer_sequence<int, R...>) {
  return {&tile_of<B, R + 1, kOffsets>...};
}

template <bool kOffsets>
void tile_with(const QTile& t) {
  static constexpr auto rows = std::make_integer_sequence<int, kQTileRows>{};
  static constexpr std::array<std::array<TileFn, kQTileRows>, kQTileBlocks> table = {
      row_of<1, kOffsets>(rows), row_of<2, kOffsets>(rows), row_of<3, kOffsets>(rows),
      row_of<4, kOffsets>(rows)};
  table[static_cast<size_t>(t.blocks - 1)][static_cast<size_t>(t.rows - 1)](t);
}

void tile(const QTile& t) {
  if (t.a_block_offsets) {
    tile_with<true>(t);
  } else {
    tile_with<false>(t);
  }
}

}  // namespace

const QGemmKernels& qgemm_kernels_avx512() {
  static const QGemmKernels k{tile, kQTileRows};
  return k;
}

}  // namespace sinter::kernels::detail
