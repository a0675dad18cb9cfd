// The AVX-512 tier of the integer GEMM, with AVX-512-VNNI: per k quad, each row's 4 bytes are
// broadcast as one 32-bit lane value and vpdpbusd adds their products with a block's 4 x 16
// weights into 16 exact s32 sums (u8 x s8 products summed in 32 bits: no 16-bit saturation, unlike
// vpmaddubsw). Instantiated for every tile size so the accumulators stay in registers. The
// functions carry their own target (this tier's files are built without -mavx512vnni).
//
// 4-bit weights: one 64-byte row of a block holds two k quads. The low nibbles are shifted into
// the top of their bytes and the high nibbles masked in place, which gives 16 * w (16 * |w| <= 128
// fits s8) in two or one instructions; the sums come out 16 times too large, exactly, and are
// shifted back. Their bound is that of s8 weights' sums.
//
// Per-vector scales: each vector's s32 sums are converted and joined to float sums with a fused
// multiply-add. Both kinds of sums stay in registers, 2 x blocks x rows of the 32: tiles of up to
// 3 rows take all 4 blocks at once (24 sums, 4 weight vectors), taller ones run 2 blocks at a time
// (6 rows x 2 blocks, 24 sums), reading their A rows once per pair of blocks.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "kernels/qgemm/qgemm.h"
#include "kernels/qgemm/requantizer_avx512.h"

namespace sinter::kernels::detail {

namespace {

// acc[b][r] += row r's k quad at a (4 bytes) times the weights wv[b].
template <int B, int R>
SINTER_VNNI_TARGET inline void add_quad(__m512i (&acc)[B][R], const __m512i (&wv)[B],
                                        const uint8_t* a, int64_t a_row_stride) {
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    int32_t quad;
    std::memcpy(&quad, a + r * a_row_stride, 4);
    const __m512i av = _mm512_set1_epi32(quad);
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b][r] = _mm512_dpbusd_epi32(acc[b][r], av, wv[b]);
  }
}

// acc += rows [0, R) of A over k blocks [kb0, kb0 + k_blocks), times B blocks of weights from w
// (rows of row_bytes, the first block at w); returns w past them. 4-bit weights leave 16 * sums.
// Offsets: A's k blocks at t.a_block_offsets (a window's taps), not every a_block_stride bytes; a
// choice made per tile, outside the loop, where a test per block costs a fifth of the speed.
template <int B, int R, int Bits, bool Offsets>
SINTER_VNNI_TARGET inline const int8_t* accumulate(__m512i (&acc)[B][R], const QTile& t,
                                                   int64_t kb0, const int8_t* w, int64_t row_bytes,
                                                   int64_t k_blocks) {
  for (int64_t kb = kb0; kb < kb0 + k_blocks; ++kb) {
    const uint8_t* a = t.a + (Offsets ? t.a_block_offsets[kb] : kb * t.a_block_stride);
    __m512i wv[B];
    if constexpr (Bits == 8) {
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {
#pragma GCC unroll 4
        for (int b = 0; b < B; ++b) wv[b] = _mm512_load_si512(w + b * 64);
        add_quad<B, R>(acc, wv, a + q * 4, t.a_row_stride);
        w += row_bytes;
      }
    } else {
      const __m512i top = _mm512_set1_epi8(static_cast<char>(0xf0));
#pragma GCC unroll 2
      for (int p = 0; p < 2; ++p) {
#pragma GCC unroll 4
        for (int b = 0; b < B; ++b)
          wv[b] = _mm512_and_si512(_mm512_slli_epi16(_mm512_load_si512(w + b * 64), 4), top);
        add_quad<B, R>(acc, wv, a + p * 8, t.a_row_stride);
#pragma GCC unroll 4
        for (int b = 0; b < B; ++b) wv[b] = _mm512_and_si512(_mm512_load_si512(w + b * 64), top);
        add_quad<B, R>(acc, wv, a + p * 8 + 4, t.a_row_stride);
        w += row_bytes;
      }
    }
  }
  return w;
}

// The exact sums of accumulate's result.
template <int Bits>
SINTER_VNNI_TARGET inline __m512i exact(__m512i acc) {
  return Bits == 4 ? _mm512_srai_epi32(acc, 4) : acc;
}

SINTER_VNNI_TARGET inline const uint8_t* residual_at(const QTile& t, int r, int b) {
  return t.residual ? t.residual + r * t.residual_row_stride + b * t.residual_block_stride
                    : nullptr;
}

// A tile with one scale a column: all B blocks of its group.
template <int B, int R, int Bits, bool Offsets>
SINTER_VNNI_TARGET void tile_of(const QTile& t) {
  __m512i acc[B][R];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[b][r] = _mm512_setzero_si512();
  accumulate<B, R, Bits, Offsets>(acc, t, 0, t.w, B * 64, t.k_blocks);
  if (!t.requant) {
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r)
        _mm512_storeu_si512(t.c + r * t.c_row_stride + b * t.c_block_stride,
                            exact<Bits>(acc[b][r]));
    return;
  }
  // requantize_value: wrapping add, float multiply, then the common end.
  const QRequant& q = *t.requant;
  const Requantizer requantizer(q);
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const __m512i bias = _mm512_loadu_si512(q.bias + b * 16);
    const __m512 multiplier = _mm512_loadu_ps(q.multiplier + b * 16);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
      requantizer.store(
          _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(exact<Bits>(acc[b][r]), bias)),
                        multiplier),
          residual_at(t, r, b), t.y + r * t.y_row_stride + b * t.y_block_stride);
  }
}

// A tile of per-vector weights over blocks [b0, b0 + B) of its group (t.blocks blocks), with
// VB k blocks a vector (0: t.vector_blocks).
template <int B, int R, int Bits, int VB, bool Offsets>
SINTER_VNNI_TARGET void vector_tile_of(const QTile& t, int b0) {
  __m512 facc[B][R];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) facc[b][r] = _mm512_setzero_ps();
  const int64_t row_bytes = t.blocks * 64;
  const int8_t* w = t.w + b0 * 64;
  const int64_t vector_blocks = VB ? VB : t.vector_blocks;
  for (int64_t v = 0; v < t.k_blocks / vector_blocks; ++v) {
    __m512i acc[B][R];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) acc[b][r] = _mm512_setzero_si512();
    w = accumulate<B, R, Bits, Offsets>(acc, t, v * vector_blocks, w, row_bytes, vector_blocks);
    // add_vector_sum: the vector's scale row follows its weights.
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      const __m512 scale = _mm512_load_ps(w + b * 64);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r)
        facc[b][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact<Bits>(acc[b][r])), scale, facc[b][r]);
    }
    w += row_bytes;
  }
  // requantize_vector_sums: add, multiply, then the common end.
  const QRequant& q = *t.requant;
  const Requantizer requantizer(q);
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    const __m512 bias = _mm512_loadu_ps(q.scaled_bias + (b0 + b) * 16);
    const __m512 multiplier = _mm512_loadu_ps(q.multiplier + (b0 + b) * 16);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
      requantizer.store(_mm512_mul_ps(_mm512_add_ps(facc[b][r], bias), multiplier),
                        residual_at(t, r, b0 + b),
                        t.y + r * t.y_row_stride + (b0 + b) * t.y_block_stride);
  }
}

using TileFn = void (*)(const QTile&);
using VectorTileFn = void (*)(const QTile&, int);
// Per-vector tiles of B blocks x R rows, those whose sums fit the registers (see above).
constexpr bool kVectorSumsFit(int B, int R) { return B * R <= 12; }
constexpr int kVectorAllBlocksRows = 3, kVectorBlocksOfTallTiles = 2;

template <int B, int Bits, bool Offsets, int... R>
constexpr std::array<TileFn, kQTileRows> row_of(std::integer_sequence<int, R...>) {
  return {&tile_of<B, R + 1, Bits, Offsets>...};
}

template <int B, int R, int Bits, int VB, bool Offsets>
constexpr VectorTileFn vector_entry() {
  if constexpr (kVectorSumsFit(B, R)) {
    return &vector_tile_of<B, R, Bits, VB, Offsets>;
  } else {
    return nullptr;
  }
}

template <int B, int Bits, int VB, bool Offsets, int... R>
constexpr std::array<VectorTileFn, kQTileRows> vector_row_of(std::integer_sequence<int, R...>) {
  return {vector_entry<B, R + 1, Bits, VB, Offsets>()...};
}

template <int Bits, bool Offsets>
void per_column_tile(const QTile& t) {
  static constexpr auto rows = std::make_integer_sequence<int, kQTileRows>{};
  static constexpr std::array<std::array<TileFn, kQTileRows>, kQTileBlocks> table = {
      row_of<1, Bits, Offsets>(rows), row_of<2, Bits, Offsets>(rows),
      row_of<3, Bits, Offsets>(rows), row_of<4, Bits, Offsets>(rows)};
  table[static_cast<size_t>(t.blocks - 1)][static_cast<size_t>(t.rows - 1)](t);
}

using VectorTable = std::array<std::array<VectorTileFn, kQTileRows>, kQTileBlocks>;

template <int Bits, int VB, bool Offsets>
constexpr VectorTable vector_table() {
  constexpr auto rows = std::make_integer_sequence<int, kQTileRows>{};
  return {vector_row_of<1, Bits, VB, Offsets>(rows), vector_row_of<2, Bits, VB, Offsets>(rows),
          vector_row_of<3, Bits, VB, Offsets>(rows), vector_row_of<4, Bits, VB, Offsets>(rows)};
}

// Vectors of 16 and 32 k (one and two k blocks) have tiles of their own: without a loop over a
// vector's blocks, the compiler keeps every sum in a register. Longer vectors share a loop that
// moves a few float sums through the stack once a vector.
template <int Bits, bool Offsets>
void per_vector_tile(const QTile& t) {
  static constexpr VectorTable one_block = vector_table<Bits, 1, Offsets>(),
                               two_blocks = vector_table<Bits, 2, Offsets>(),
                               any = vector_table<Bits, 0, Offsets>();
  static_assert(kVectorSumsFit(kQTileBlocks, kVectorAllBlocksRows) &&
                kVectorSumsFit(kVectorBlocksOfTallTiles, kQTileRows));
  const VectorTable& table = t.vector_blocks == 1   ? one_block
                             : t.vector_blocks == 2 ? two_blocks
                                                    : any;
  const int step = t.rows <= kVectorAllBlocksRows ? t.blocks : kVectorBlocksOfTallTiles;
  for (int b0 = 0; b0 < t.blocks; b0 += step) {
    const int blocks = std::min(step, t.blocks - b0);
    table[static_cast<size_t>(blocks - 1)][static_cast<size_t>(t.rows - 1)](t, b0);
  }
}

template <bool Offsets>
void tile_with(const QTile& t) {
  if (t.vector_blocks) {
    t.weight_bits == 4 ? per_vector_tile<4, Offsets>(t) : per_vector_tile<8, Offsets>(t);
  } else {
    t.weight_bits == 4 ? per_column_tile<4, Offsets>(t) : per_column_tile<8, Offsets>(t);
  }
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
