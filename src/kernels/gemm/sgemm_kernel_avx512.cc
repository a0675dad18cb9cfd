// AVX-512 micro-kernel: an 8 x 32 tile in sixteen zmm accumulators (two 16-wide B loads and
// eight broadcasts of A per k step), with bias, residual and activation applied in registers.
// Eight rows keep the usual channel counts (multiples of 8) free of padded rows; sixteen
// accumulators cover the FMA latency of two 512-bit pipes. A tile of at most 16 columns (a
// 14x14 plane's Winograd GEMMs: 16 tiles) takes 16 rows, two A slivers, into the sixteen: with
// eight it would wait on FMA latency and issue more loads than FMAs.
#include <immintrin.h>

#include "kernels/gemm/sgemm_kernel.h"

namespace sinter::gemm {
namespace {

constexpr int kMR = 8, kNR = 32;

inline __m512 activate(__m512 v, const Activation& act) {
  const __m512 zero = _mm512_setzero_ps();
  switch (act.kind) {
    case ActivationKind::kNone:
      return v;
    case ActivationKind::kRelu:
      return _mm512_max_ps(v, zero);
    case ActivationKind::kClip:
      return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(act.alpha)), _mm512_set1_ps(act.beta));
    case ActivationKind::kHardSigmoid: {
      const __m512 y = _mm512_fmadd_ps(v, _mm512_set1_ps(act.alpha), _mm512_set1_ps(act.beta));
      return _mm512_min_ps(_mm512_max_ps(y, zero), _mm512_set1_ps(1.0f));
    }
    case ActivationKind::kHardSwish: {
      __m512 y = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
      y = _mm512_min_ps(_mm512_max_ps(y, zero), _mm512_set1_ps(1.0f));
      return _mm512_mul_ps(v, y);
    }
    case ActivationKind::kLeakyRelu: {
      const __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
      return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(act.alpha));
    }
    case ActivationKind::kSigmoid:
      break;  // handled by the scalar store
  }
  return v;
}

// One k step of row I: broadcast A(I, k) against the two B vectors; on a narrow tile of 16
// rows, row 8 + I (the next sliver's row I) in the second accumulator.
#define SINTER_ROW(I)                                                                              \
  if constexpr (MR > I) {                                                                          \
    const __m512 ai = _mm512_set1_ps(a[I]);                                                        \
    c##I##0 = _mm512_fmadd_ps(ai, b0, c##I##0);                                                    \
    if constexpr (!HALF) c##I##1 = _mm512_fmadd_ps(ai, b1, c##I##1);                               \
    if constexpr (HALF && MR > kMR) c##I##1 = _mm512_fmadd_ps(_mm512_set1_ps(a2[I]), b0, c##I##1); \
  }

// Masks of a tile's two 16-wide halves: the columns inside C (plain tiles) or one segment's.
struct HalfMasks {
  __mmask16 lo, hi;
};
inline HalfMasks half_masks(int begin, int end) {
  const uint32_t bits = static_cast<uint32_t>((uint64_t{1} << end) - (uint64_t{1} << begin));
  return {static_cast<__mmask16>(bits), static_cast<__mmask16>(bits >> 16)};
}

// HALF: the tile's last <= 16 columns, so only the left 16-wide half is computed.
// PLANE: B rows and C columns addressed as TileArgs::b_rows and ::segments describe.
// MR = 16 (HALF only): rows 8-15 are the next A sliver's, and t.mr of the 16 are stored.
template <int MR, bool HALF, bool PLANE>
void micro_avx512(const TileArgs& t) {
  static_assert(MR <= kMR || (HALF && MR == 2 * kMR));
  constexpr bool kStacked = MR > kMR;
  const int tile_rows = kStacked ? t.mr : MR;
  // Named accumulators (not an array) so the compiler keeps all sixteen in registers.
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  // C and the residual are touched only after the k loop; fetch their rows now so the store
  // does not stall on them (with a short K, as in 1x1 convs, the stall would dominate).
  const float* residual = t.last ? t.residual : nullptr;
  const int64_t first = PLANE ? t.segments->seg[0].offset : 0;
  for (int i = 0; i < tile_rows; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + first), _MM_HINT_T0);
    if constexpr (!HALF)
      _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + first + 31), _MM_HINT_T0);
    if (residual) {
      const float* r = residual + i * t.ld_residual + first;
      _mm_prefetch(reinterpret_cast<const char*>(r), _MM_HINT_T0);
      if constexpr (!HALF) _mm_prefetch(reinterpret_cast<const char*>(r + 31), _MM_HINT_T0);
    }
  }
  const float* a = t.a;
  const float* a2 = kStacked ? t.a + t.kc * kMR : nullptr;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
  const int64_t* rows = t.b_rows;
  int64_t k = t.kc;
  if constexpr (MR == 1 && !HALF && !PLANE) {
    // A GEMV row: two k steps in flight so FMA latency does not cap the B stream.
    for (; k >= 2; k -= 2) {
      const __m512 a0 = _mm512_set1_ps(a[0]), a1 = _mm512_set1_ps(a[kMR]);
      c00 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b), c00);
      c01 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b + 16), c01);
      c10 = _mm512_fmadd_ps(a1, _mm512_loadu_ps(b + ldb), c10);
      c11 = _mm512_fmadd_ps(a1, _mm512_loadu_ps(b + ldb + 16), c11);
      a += 2 * kMR;
      b += 2 * ldb;
    }
  }
  const char* prefetch = reinterpret_cast<const char*>(t.prefetch);
  const int64_t prefetch_end = t.kc - std::min(t.kc, t.prefetch_lines);
  for (; k > 0; --k) {
    if (k > prefetch_end) {
      _mm_prefetch(prefetch, _MM_HINT_T0);
      prefetch += 64;
    }
    if constexpr (PLANE) {
      b = t.b + *rows++;
      _mm_prefetch(reinterpret_cast<const char*>(b + kNR), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + kNR + 16), _MM_HINT_T0);
    }
    const __m512 b0 = _mm512_loadu_ps(b), b1 = HALF ? b0 : _mm512_loadu_ps(b + 16);
    SINTER_ROW(0)
    SINTER_ROW(1)
    SINTER_ROW(2)
    SINTER_ROW(3)
    SINTER_ROW(4)
    SINTER_ROW(5)
    SINTER_ROW(6)
    SINTER_ROW(7)
    a += kMR;
    if constexpr (MR > kMR) a2 += kMR;
    if constexpr (!PLANE) b += ldb;
  }
  if constexpr (MR == 1 && !HALF && !PLANE) {
    c00 = _mm512_add_ps(c00, c10);
    c01 = _mm512_add_ps(c01, c11);
  }
  const __m512 acc0[kMR] = {c00, c10, c20, c30, c40, c50, c60, c70};
  const __m512 acc1[kMR] = {c01, c11, c21, c31, c41, c51, c61, c71};
  // Row i's two halves: (acc0, acc1) of row i, or on a 16-row narrow tile acc0 of row i < 8,
  // acc1 of row i - 8.
  auto half0 = [&](int i) { return kStacked && i >= kMR ? acc1[i - kMR] : acc0[i]; };
  auto half1 = [&](int i) { return kStacked ? _mm512_setzero_ps() : acc1[i]; };

  if (t.last && t.act->kind == ActivationKind::kSigmoid) {
    alignas(64) float tile[MR * kNR];
    for (int i = 0; i < tile_rows; ++i) {
      _mm512_store_ps(tile + i * kNR, half0(i));
      _mm512_store_ps(tile + i * kNR + 16, half1(i));
    }
    store_tile_scalar(t, tile, kNR);
    return;
  }
  // Lanes of each half that fall inside C, and the segments they are stored through.
  const HalfMasks inside = half_masks(0, t.nr);
  const __mmask16 m0 = inside.lo, m1 = inside.hi;
  int segments = 1;
  HalfMasks seg_mask[kMaxColumnSegments] = {inside};
  int64_t seg_offset[kMaxColumnSegments] = {0};
  if constexpr (PLANE) {
    segments = t.segments->count;
    for (int s = 0; s < segments; ++s) {
      const ColumnSegment& g = t.segments->seg[s];
      const HalfMasks h = half_masks(g.begin, g.end);
      seg_mask[s] = {static_cast<__mmask16>(h.lo & m0), static_cast<__mmask16>(h.hi & m1)};
      seg_offset[s] = g.offset;
    }
  }
  // Row i of a tile-shaped operand (the old C, the residual), and the store of row i of C.
  auto load_row = [&](const float* row, __m512& lo, __m512& hi) {
    if constexpr (!PLANE) {
      lo = _mm512_maskz_loadu_ps(m0, row);
      if constexpr (!HALF) hi = _mm512_maskz_loadu_ps(m1, row + 16);
    } else {
      lo = hi = _mm512_setzero_ps();
      for (int s = 0; s < segments; ++s) {
        lo = _mm512_mask_loadu_ps(lo, seg_mask[s].lo, row + seg_offset[s]);
        if constexpr (!HALF)
          hi = _mm512_mask_loadu_ps(hi, seg_mask[s].hi, row + seg_offset[s] + 16);
      }
    }
  };
  auto store_row = [&](float* row, __m512 lo, __m512 hi) {
    for (int s = 0; s < segments; ++s) {
      _mm512_mask_storeu_ps(row + seg_offset[s], seg_mask[s].lo, lo);
      if constexpr (!HALF) _mm512_mask_storeu_ps(row + seg_offset[s] + 16, seg_mask[s].hi, hi);
    }
  };
  const __m512 alpha = _mm512_set1_ps(t.alpha);
  const __m512 cs = _mm512_set1_ps(t.c_scale);
  __m512 bc0 = _mm512_setzero_ps(), bc1 = _mm512_setzero_ps();
  if (t.last && t.bias_col) {
    bc0 = _mm512_maskz_loadu_ps(m0, t.bias_col);
    bc1 = _mm512_maskz_loadu_ps(m1, t.bias_col + 16);
  }
#pragma GCC unroll 16
  for (int i = 0; i < tile_rows; ++i) {
    float* c = t.c + i * t.ldc;
    __m512 v0 = _mm512_mul_ps(half0(i), alpha), v1 = _mm512_mul_ps(half1(i), alpha);
    if (t.c_scale != 0.0f) {
      __m512 o0, o1 = _mm512_setzero_ps();
      load_row(c, o0, o1);
      v0 = _mm512_fmadd_ps(cs, o0, v0);
      if constexpr (!HALF) v1 = _mm512_fmadd_ps(cs, o1, v1);
    }
    if (t.last) {
      if (t.bias_row) {
        const __m512 br = _mm512_set1_ps(t.bias_row[i]);
        v0 = _mm512_add_ps(v0, br);
        v1 = _mm512_add_ps(v1, br);
      }
      if (t.bias_col) {
        v0 = _mm512_add_ps(v0, bc0);
        v1 = _mm512_add_ps(v1, bc1);
      }
      if (t.residual) {
        __m512 r0, r1 = _mm512_setzero_ps();
        load_row(t.residual + i * t.ld_residual, r0, r1);
        v0 = _mm512_add_ps(v0, r0);
        if constexpr (!HALF) v1 = _mm512_add_ps(v1, r1);
      }
      v0 = activate(v0, *t.act);
      v1 = activate(v1, *t.act);
    }
    store_row(c, v0, v1);
  }
}

#undef SINTER_ROW

template <bool HALF, bool PLANE>
void micro_avx512_rows(const TileArgs& t) {
  if constexpr (HALF && !PLANE) {
    if (t.mr > kMR) return micro_avx512<2 * kMR, true, false>(t);
  }
  switch (t.mr) {
    case 1:
      return micro_avx512<1, HALF, PLANE>(t);
    case 2:
      return micro_avx512<2, HALF, PLANE>(t);
    case 3:
      return micro_avx512<3, HALF, PLANE>(t);
    case 4:
      return micro_avx512<4, HALF, PLANE>(t);
    case 5:
      return micro_avx512<5, HALF, PLANE>(t);
    case 6:
      return micro_avx512<6, HALF, PLANE>(t);
    case 7:
      return micro_avx512<7, HALF, PLANE>(t);
    default:
      return micro_avx512<8, HALF, PLANE>(t);
  }
}

void micro_avx512_dispatch(const TileArgs& t) {
  if (t.b_rows) {
    if (t.nr <= 16) return micro_avx512_rows<true, true>(t);
    return micro_avx512_rows<false, true>(t);
  }
  if (t.nr <= 16) return micro_avx512_rows<true, false>(t);
  micro_avx512_rows<false, false>(t);
}

}  // namespace

const KernelSet& avx512_kernel_set() {
  static const KernelSet ks{"avx512_8x32",         kMR,    kNR, 256, 128, 1024,
                            micro_avx512_dispatch, 2 * kMR};
  return ks;
}

}  // namespace sinter::gemm
