// The AVX2 tier of the integer GEMM. A 32-byte vector holds 8 columns of a k quad, so a block of
// 16 columns is two vectors, and a tile runs its blocks one after another, each over the whole K
// with R rows x 2 vectors of sums in registers (A's few rows stay in L1 between blocks). Two
// tables, one product step each (qgemm.h says why the second has two forms):
// - AVX-VNNI's vpdpbusd, exact, 6 rows (12 sums, 2 weight vectors, 1 broadcast);
// - vpmaddubsw and vpmaddwd by ones, 4 rows (8 sums; the rest is for the split and temporaries).
// The VNNI functions carry their own target (this tier's files are built without -mavxvnni) and
// are flattened, so that the shared block code is inlined into them and takes that target too.
//
// 4-bit weights: a row of a block's two vectors holds two k quads. With vpdpbusd the low nibbles
// are shifted into the top of their bytes and the high nibbles masked in place (16 * w, sums 16
// times too large, shifted back exactly); vpmaddubsw needs the values themselves (16 * w could
// reach -128, past its exact bound), looked up with vpshufb.
// Per-vector scales: float sums beside the s32 ones, so fewer rows at once: 3 with vpdpbusd (6 + 6
// sums), 2 with vpmaddubsw; a tile's rows run in such parts, block by block.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels::detail {

namespace {

// Each add returns acc plus, per 32-bit lane, the dot product of the lane's 4 u8 of a and 4 s8
// of w. low_nibbles and high_nibbles give a row of 4-bit weights' first and second k quad as add
// takes them, their sums shifted left by kInt4Shift.
struct VnniDot {
  __attribute__((target("avxvnni"))) static __m256i add(__m256i acc, __m256i a, __m256i w) {
    return _mm256_dpbusd_avx_epi32(acc, a, w);
  }
  static constexpr int kInt4Shift = 4;
  static __m256i low_nibbles(__m256i x) {
    return _mm256_and_si256(_mm256_slli_epi16(x, 4), _mm256_set1_epi8(static_cast<char>(0xf0)));
  }
  static __m256i high_nibbles(__m256i x) {
    return _mm256_and_si256(x, _mm256_set1_epi8(static_cast<char>(0xf0)));
  }
};

// Exact while every |w| <= 64: a pair sum is at most 2 * 255 * 64 = 32640.
struct MaddubsDot {
  static __m256i add(__m256i acc, __m256i a, __m256i w) {
    const __m256i pairs = _mm256_maddubs_epi16(a, w);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
  }
  static constexpr int kInt4Shift = 0;
  static __m256i low_nibbles(__m256i x) {
    return _mm256_shuffle_epi8(values(), _mm256_and_si256(x, _mm256_set1_epi8(0x0f)));
  }
  static __m256i high_nibbles(__m256i x) { return low_nibbles(_mm256_srli_epi16(x, 4)); }

 private:
  // The s8 value of each 4-bit pattern, in both 128-bit lanes (vpshufb looks up per lane).
  static __m256i values() {
    return _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4,
                            5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
  }
};

// Exact for any w: a = (a & 0x7f) + (a & 0x80), and each part's pair sums fit 16 bits (down to
// 2 * 127 * -128 and 2 * 128 * -128 = -32768).
struct SplitMaddubsDot {
  static __m256i add(__m256i acc, __m256i a, __m256i w) {
    const __m256i low7 = _mm256_set1_epi8(0x7f), ones = _mm256_set1_epi16(1);
    const __m256i low = _mm256_maddubs_epi16(_mm256_and_si256(a, low7), w);
    const __m256i top = _mm256_maddubs_epi16(_mm256_andnot_si256(low7, a), w);
    return _mm256_add_epi32(
        acc, _mm256_add_epi32(_mm256_madd_epi16(low, ones), _mm256_madd_epi16(top, ones)));
  }
};

// The requantizations on 8 lanes; their common end is the residual's fused multiply-add, clamp,
// round to nearest even (the default MXCSR mode of vcvtps2dq), add the zero point.
class Requantizer {
 public:
  explicit Requantizer(const QRequant& q)
      : q_(q),
        lo_(_mm256_set1_ps(static_cast<float>(q.lo - q.zero_point))),
        hi_(_mm256_set1_ps(static_cast<float>(q.hi - q.zero_point))),
        residual_multiplier_(_mm256_set1_ps(q.residual_multiplier)),
        zero_point_(_mm256_set1_epi32(q.zero_point)),
        residual_zero_point_(_mm256_set1_epi32(q.residual_zero_point)) {}

  // requantize_value (wrapping add, float multiply) of the sums of the tile's columns [j, j + 8);
  // residual: their 8 residual bytes, or null.
  __m256i operator()(__m256i sum, int j, const uint8_t* residual) const {
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_.bias + j));
    return finish(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(sum, bias)),
                                _mm256_loadu_ps(q_.multiplier + j)),
                  residual);
  }

  // requantize_vector_sums (add, multiply) of the float sums of columns [j, j + 8).
  __m256i vector_sums(__m256 facc, int j, const uint8_t* residual) const {
    return finish(_mm256_mul_ps(_mm256_add_ps(facc, _mm256_loadu_ps(q_.scaled_bias + j)),
                                _mm256_loadu_ps(q_.multiplier + j)),
                  residual);
  }

 private:
  __m256i finish(__m256 v, const uint8_t* residual) const {
    if (residual) {
      const __m256i r =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(residual)));
      v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(r, residual_zero_point_)),
                          residual_multiplier_, v);
    }
    v = _mm256_min_ps(_mm256_max_ps(v, lo_), hi_);  // operand order: a NaN becomes lo, as in C++
    return _mm256_add_epi32(_mm256_cvtps_epi32(v), zero_point_);
  }

  const QRequant& q_;
  __m256 lo_, hi_, residual_multiplier_;
  __m256i zero_point_, residual_zero_point_;
};

// The low byte of each lane of first (columns 0-7) and second (8-15), in column order: the
// scalar cast's truncation.
__m128i low_bytes(__m256i first, __m256i second) {
  const __m256i byte = _mm256_set1_epi32(0xff);
  // Packing works per 128-bit half: words of columns 0-3, 8-11 | 4-7, 12-15.
  const __m256i words =
      _mm256_packus_epi32(_mm256_and_si256(first, byte), _mm256_and_si256(second, byte));
  const __m128i bytes =
      _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
  return _mm_shuffle_epi32(bytes, _MM_SHUFFLE(3, 1, 2, 0));
}

// acc += rows [0, R) of A over k blocks [kb0, kb0 + k_blocks), times one block of weights from w
// (rows of row_bytes); returns w past them. 4-bit weights leave the sums << Dot::kInt4Shift.
template <class Dot, int Bits, int R>
inline const int8_t* accumulate(__m256i (&acc)[R][2], const QTile& t, int64_t kb0, const int8_t* w,
                                int64_t row_bytes, int64_t k_blocks) {
  const auto add_quad = [&](__m256i w0, __m256i w1, const uint8_t* quads) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      int32_t quad;
      std::memcpy(&quad, quads + r * t.a_row_stride, 4);
      const __m256i av = _mm256_set1_epi32(quad);
      acc[r][0] = Dot::add(acc[r][0], av, w0);
      acc[r][1] = Dot::add(acc[r][1], av, w1);
    }
  };
  for (int64_t kb = kb0; kb < kb0 + k_blocks; ++kb) {
    const uint8_t* a = a_block(t, kb);
    if constexpr (Bits == 8) {
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q, w += row_bytes)
        add_quad(_mm256_load_si256(reinterpret_cast<const __m256i*>(w)),
                 _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32)), a + q * 4);
    } else {
#pragma GCC unroll 2
      for (int p = 0; p < 2; ++p, w += row_bytes) {
        const __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
        const __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
        add_quad(Dot::low_nibbles(x0), Dot::low_nibbles(x1), a + p * 8);
        add_quad(Dot::high_nibbles(x0), Dot::high_nibbles(x1), a + p * 8 + 4);
      }
    }
  }
  return w;
}

// The exact sums of accumulate's result.
template <class Dot, int Bits>
inline __m256i exact(__m256i acc) {
  if constexpr (Bits == 4) {
    if constexpr (Dot::kInt4Shift > 0) return _mm256_srai_epi32(acc, Dot::kInt4Shift);
  }
  return acc;
}

// The residual bytes of row r, block b (and the 8 columns from `half`), or null.
inline const uint8_t* residual_at(const QTile& t, int r, int b, int half) {
  return t.residual
             ? t.residual + r * t.residual_row_stride + b * t.residual_block_stride + half * 8
             : nullptr;
}

// Rows [0, R) of the tile times its block b, one scale a column.
template <class Dot, int Bits, int R>
inline void block_of(const QTile& t, int b) {
  __m256i acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const int64_t row_bytes = t.blocks * kQBlock * 4;
  accumulate<Dot, Bits, R>(acc, t, 0, t.w + b * kQBlock * 4, row_bytes, t.k_blocks);
  if (!t.requant) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      int32_t* c = t.c + r * t.c_row_stride + b * t.c_block_stride;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), exact<Dot, Bits>(acc[r][0]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), exact<Dot, Bits>(acc[r][1]));
    }
    return;
  }
  const Requantizer requantize(*t.requant);
  const int j = b * static_cast<int>(kQBlock);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    const __m256i first = requantize(exact<Dot, Bits>(acc[r][0]), j, residual_at(t, r, b, 0));
    const __m256i second = requantize(exact<Dot, Bits>(acc[r][1]), j + 8, residual_at(t, r, b, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t.y + r * t.y_row_stride + b * t.y_block_stride),
                     low_bytes(first, second));
  }
}

// Rows [0, R) of the tile times its block b, per-vector scales, VB k blocks a vector (0:
// t.vector_blocks).
template <class Dot, int Bits, int R, int VB>
inline void vector_block_of(const QTile& t, int b) {
  __m256 facc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) facc[r][0] = facc[r][1] = _mm256_setzero_ps();
  const int64_t row_bytes = t.blocks * kQBlock * 4;
  const int8_t* w = t.w + b * kQBlock * 4;
  const int64_t vector_blocks = VB ? VB : t.vector_blocks;
  for (int64_t v = 0; v < t.k_blocks / vector_blocks; ++v) {
    __m256i acc[R][2];
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    w = accumulate<Dot, Bits, R>(acc, t, v * vector_blocks, w, row_bytes, vector_blocks);
    // add_vector_sum: the vector's scale row follows its weights.
    const __m256 scale0 = _mm256_load_ps(reinterpret_cast<const float*>(w));
    const __m256 scale1 = _mm256_load_ps(reinterpret_cast<const float*>(w + 32));
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      facc[r][0] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact<Dot, Bits>(acc[r][0])), scale0, facc[r][0]);
      facc[r][1] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact<Dot, Bits>(acc[r][1])), scale1, facc[r][1]);
    }
    w += row_bytes;
  }
  const Requantizer requantize(*t.requant);
  const int j = b * static_cast<int>(kQBlock);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    const __m256i first = requantize.vector_sums(facc[r][0], j, residual_at(t, r, b, 0));
    const __m256i second = requantize.vector_sums(facc[r][1], j + 8, residual_at(t, r, b, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t.y + r * t.y_row_stride + b * t.y_block_stride),
                     low_bytes(first, second));
  }
}

// Rows [r0, r0 + rows) of a tile, as a tile of their own.
QTile rows_of(const QTile& t, int r0, int rows) {
  QTile part = t;
  part.rows = rows;
  part.a += r0 * t.a_row_stride;
  if (t.c) part.c += r0 * t.c_row_stride;
  if (t.y) part.y += r0 * t.y_row_stride;
  if (t.residual) part.residual += r0 * t.residual_row_stride;
  return part;
}

// Block b of a per-vector tile of up to R rows.
template <class Dot, int Bits, int R, int VB>
inline void vector_rows_of(const QTile& t, int b) {
  if constexpr (R > 1) {
    if (t.rows < R) {
      vector_rows_of<Dot, Bits, R - 1, VB>(t, b);
      return;
    }
  }
  vector_block_of<Dot, Bits, R, VB>(t, b);
}

template <class Dot, int Bits, int R, int VB>
inline void vector_tile_of(const QTile& t) {
  for (int b = 0; b < t.blocks; ++b)
    for (int r0 = 0; r0 < t.rows; r0 += R)
      vector_rows_of<Dot, Bits, R, VB>(rows_of(t, r0, std::min(R, t.rows - r0)), b);
}

// A per-vector tile, block by block, its rows in parts of up to R. Vectors of 16 and 32 k (one
// and two k blocks) have code of their own: without a loop over a vector's blocks, the sums stay
// in registers.
template <class Dot, int Bits, int R>
inline void vector_tile(const QTile& t) {
  if (t.vector_blocks == 1) {
    vector_tile_of<Dot, Bits, R, 1>(t);
  } else if (t.vector_blocks == 2) {
    vector_tile_of<Dot, Bits, R, 2>(t);
  } else {
    vector_tile_of<Dot, Bits, R, 0>(t);
  }
}

constexpr int kVnniRows = 6, kMaddubsRows = 4, kVnniVectorRows = 3, kMaddubsVectorRows = 2;

template <int R, int Bits>
__attribute__((target("avxvnni"), flatten)) void vnni_tile(const QTile& t) {
  for (int b = 0; b < t.blocks; ++b) block_of<VnniDot, Bits, R>(t, b);
}

template <int Bits>
__attribute__((target("avxvnni"), flatten)) void vnni_vector_tile(const QTile& t) {
  vector_tile<VnniDot, Bits, kVnniVectorRows>(t);
}

template <int R>
void maddubs_tile(const QTile& t) {
  for (int b = 0; b < t.blocks; ++b) {
    if (t.weight_bits == 4) {
      block_of<MaddubsDot, 4, R>(t, b);
    } else if (t.max_abs_weight <= 64) {
      block_of<MaddubsDot, 8, R>(t, b);
    } else {
      block_of<SplitMaddubsDot, 8, R>(t, b);
    }
  }
}

void maddubs_vector_tile(const QTile& t) {
  if (t.weight_bits == 4) {
    vector_tile<MaddubsDot, 4, kMaddubsVectorRows>(t);
  } else if (t.max_abs_weight <= 64) {
    vector_tile<MaddubsDot, 8, kMaddubsVectorRows>(t);
  } else {
    vector_tile<SplitMaddubsDot, 8, kMaddubsVectorRows>(t);
  }
}

using TileFn = void (*)(const QTile&);
static_assert(kVnniRows == kQTileRows && kQTileRows <= 2 * kMaddubsRows);
constexpr TileFn kVnniTiles[kVnniRows] = {vnni_tile<1, 8>, vnni_tile<2, 8>, vnni_tile<3, 8>,
                                          vnni_tile<4, 8>, vnni_tile<5, 8>, vnni_tile<6, 8>};
constexpr TileFn kVnniInt4Tiles[kVnniRows] = {vnni_tile<1, 4>, vnni_tile<2, 4>, vnni_tile<3, 4>,
                                              vnni_tile<4, 4>, vnni_tile<5, 4>, vnni_tile<6, 4>};
constexpr TileFn kMaddubsTiles[kMaddubsRows] = {maddubs_tile<1>, maddubs_tile<2>, maddubs_tile<3>,
                                                maddubs_tile<4>};

void vnni(const QTile& t) {
  if (t.vector_blocks) {
    t.weight_bits == 4 ? vnni_vector_tile<4>(t) : vnni_vector_tile<8>(t);
  } else {
    (t.weight_bits == 4 ? kVnniInt4Tiles : kVnniTiles)[t.rows - 1](t);
  }
}

// Tiles of more rows than the sums' registers hold (up to kQTileRows) run as two.
void maddubs(const QTile& t) {
  if (t.vector_blocks) {
    maddubs_vector_tile(t);
  } else if (t.rows <= kMaddubsRows) {
    kMaddubsTiles[t.rows - 1](t);
  } else {
    kMaddubsTiles[kMaddubsRows - 1](rows_of(t, 0, kMaddubsRows));
    kMaddubsTiles[t.rows - kMaddubsRows - 1](rows_of(t, kMaddubsRows, t.rows - kMaddubsRows));
  }
}

}  // namespace

const QGemmKernels& qgemm_kernels_avx2_vnni() {
  static const QGemmKernels k{vnni, kVnniRows};
  return k;
}

const QGemmKernels& qgemm_kernels_avx2_maddubs() {
  static const QGemmKernels k{maddubs, kMaddubsRows};
  return k;
}

}  // namespace sinter::kernels::detail
