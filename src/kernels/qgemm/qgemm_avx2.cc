// The AVX2 tier of the integer GEMM. A 32-byte vector holds 8 columns of a k quad, so a block of
// 16 columns is two vectors, and a tile runs its blocks one after another, each over the whole K
// with R rows x 2 vectors of sums in registers (A's few rows stay in L1 between blocks). Two
// tables, one product step each (qgemm.h says why the second has two forms):
// - AVX-VNNI's vpdpbusd, exact, 6 rows (12 sums, 2 weight vectors, 1 broadcast);
// - vpmaddubsw and vpmaddwd by ones, 4 rows (8 sums; the rest is for the split and temporaries).
// The VNNI functions carry their own target (this tier's files are built without -mavxvnni) and
// are flattened, so that the shared block code is inlined into them and takes that target too.
#include <immintrin.h>

#include <cstring>

#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels::detail {

namespace {

// Each add returns acc plus, per 32-bit lane, the dot product of the lane's 4 u8 of a and 4 s8
// of w.
struct VnniDot {
  __attribute__((target("avxvnni"))) static __m256i add(__m256i acc, __m256i a, __m256i w) {
    return _mm256_dpbusd_avx_epi32(acc, a, w);
  }
};

// Exact while every |w| <= 64: a pair sum is at most 2 * 255 * 64 = 32640.
struct MaddubsDot {
  static __m256i add(__m256i acc, __m256i a, __m256i w) {
    const __m256i pairs = _mm256_maddubs_epi16(a, w);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
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

// requantize_value on 8 lanes: wrapping add, float multiply, the residual's fused multiply-add,
// clamp, round to nearest even (the default MXCSR mode of vcvtps2dq), add the zero point.
class Requantizer {
 public:
  explicit Requantizer(const QRequant& q)
      : q_(q),
        lo_(_mm256_set1_ps(static_cast<float>(q.lo - q.zero_point))),
        hi_(_mm256_set1_ps(static_cast<float>(q.hi - q.zero_point))),
        residual_multiplier_(_mm256_set1_ps(q.residual_multiplier)),
        zero_point_(_mm256_set1_epi32(q.zero_point)),
        residual_zero_point_(_mm256_set1_epi32(q.residual_zero_point)) {}

  // The sums of the tile's columns [j, j + 8); residual: their 8 residual bytes, or null.
  __m256i operator()(__m256i sum, int j, const uint8_t* residual) const {
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_.bias + j));
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(sum, bias)),
                             _mm256_loadu_ps(q_.multiplier + j));
    if (residual) {
      const __m256i r =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(residual)));
      v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(r, residual_zero_point_)),
                          residual_multiplier_, v);
    }
    v = _mm256_min_ps(_mm256_max_ps(v, lo_), hi_);  // operand order: a NaN becomes lo, as in C++
    return _mm256_add_epi32(_mm256_cvtps_epi32(v), zero_point_);
  }

 private:
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

// Rows [0, R) of the tile times its block b.
template <class Dot, int R>
inline void block_of(const QTile& t, int b) {
  __m256i acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const int64_t quad_bytes = t.blocks * kQBlock * 4;  // one k quad of the group's columns
  const int8_t* w = t.w + b * kQBlock * 4;
  for (int64_t kb = 0; kb < t.k_blocks; ++kb) {
    const uint8_t* a = a_block(t, kb);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        int32_t quad;
        std::memcpy(&quad, a + r * t.a_row_stride + q * 4, 4);
        const __m256i av = _mm256_set1_epi32(quad);
        acc[r][0] = Dot::add(acc[r][0], av, w0);
        acc[r][1] = Dot::add(acc[r][1], av, w1);
      }
      w += quad_bytes;
    }
  }
  if (!t.requant) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      int32_t* c = t.c + r * t.c_row_stride + b * t.c_block_stride;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), acc[r][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), acc[r][1]);
    }
    return;
  }
  const Requantizer requantize(*t.requant);
  const int j = b * static_cast<int>(kQBlock);
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    const uint8_t* residual =
        t.residual ? t.residual + r * t.residual_row_stride + b * t.residual_block_stride : nullptr;
    const __m256i first = requantize(acc[r][0], j, residual);
    const __m256i second = requantize(acc[r][1], j + 8, residual ? residual + 8 : nullptr);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(t.y + r * t.y_row_stride + b * t.y_block_stride),
                     low_bytes(first, second));
  }
}

template <int R>
__attribute__((target("avxvnni"), flatten)) void vnni_tile(const QTile& t) {
  for (int b = 0; b < t.blocks; ++b) block_of<VnniDot, R>(t, b);
}

template <int R>
void maddubs_tile(const QTile& t) {
  for (int b = 0; b < t.blocks; ++b) {
    if (t.max_abs_weight <= 64) {
      block_of<MaddubsDot, R>(t, b);
    } else {
      block_of<SplitMaddubsDot, R>(t, b);
    }
  }
}

using TileFn = void (*)(const QTile&);
constexpr int kVnniRows = 6, kMaddubsRows = 4;
static_assert(kVnniRows == kQTileRows && kQTileRows <= 2 * kMaddubsRows);
constexpr TileFn kVnniTiles[kVnniRows] = {vnni_tile<1>, vnni_tile<2>, vnni_tile<3>,
                                          vnni_tile<4>, vnni_tile<5>, vnni_tile<6>};
constexpr TileFn kMaddubsTiles[kMaddubsRows] = {maddubs_tile<1>, maddubs_tile<2>, maddubs_tile<3>,
                                                maddubs_tile<4>};

void vnni(const QTile& t) { kVnniTiles[t.rows - 1](t); }

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

// Tiles of more rows than the sums' registers hold (up to kQTileRows) run as two.
void maddubs(const QTile& t) {
  if (t.rows <= kMaddubsRows) {
    kMaddubsTiles[t.rows - 1](t);
    return;
  }
  kMaddubsTiles[kMaddubsRows - 1](rows_of(t, 0, kMaddubsRows));
  kMaddubsTiles[t.rows - kMaddubsRows - 1](rows_of(t, kMaddubsRows, t.rows - kMaddubsRows));
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
