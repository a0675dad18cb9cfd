// AVX2 + FMA micro-kernel: a 6 x 16 tile in twelve ymm accumulators (two 8-wide B loads and six
// broadcasts of A per k step), with bias, residual and activation applied in registers.
#include <immintrin.h>

#include "kernels/gemm/sgemm_kernel.h"

namespace sinter::gemm {
namespace {

constexpr int kMR = 6, kNR = 16;

inline __m256 activate(__m256 v, const Activation& act) {
  const __m256 zero = _mm256_setzero_ps();
  switch (act.kind) {
    case ActivationKind::kNone:
      return v;
    case ActivationKind::kRelu:
      return _mm256_max_ps(v, zero);
    case ActivationKind::kClip:
      return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(act.alpha)), _mm256_set1_ps(act.beta));
    case ActivationKind::kHardSigmoid: {
      const __m256 y =
          _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(act.alpha)), _mm256_set1_ps(act.beta));
      return _mm256_min_ps(_mm256_max_ps(y, zero), _mm256_set1_ps(1.0f));
    }
    case ActivationKind::kHardSwish: {
      __m256 y = _mm256_add_ps(_mm256_div_ps(v, _mm256_set1_ps(6.0f)), _mm256_set1_ps(0.5f));
      y = _mm256_min_ps(_mm256_max_ps(y, zero), _mm256_set1_ps(1.0f));
      return _mm256_mul_ps(v, y);
    }
    case ActivationKind::kLeakyRelu: {
      const __m256 neg = _mm256_mul_ps(v, _mm256_set1_ps(act.alpha));
      return _mm256_blendv_ps(neg, v, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
    }
    case ActivationKind::kSigmoid:
      break;  // handled by the scalar store
  }
  return v;
}

// Loads/stores 8 floats, masked when the tile is cut by the right edge of C.
inline __m256 load8(const float* p, bool full, __m256i mask) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}
inline void store8(float* p, __m256 v, bool full, __m256i mask) {
  if (full) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask, v);
  }
}

// One k step of row I: broadcast A(I, k) against the two B vectors.
#define SINTER_ROW(I)                                                \
  if constexpr (MR > I) {                                            \
    const __m256 ai = _mm256_broadcast_ss(a + I);                    \
    c##I##0 = _mm256_fmadd_ps(ai, b0, c##I##0);                      \
    if constexpr (!HALF) c##I##1 = _mm256_fmadd_ps(ai, b1, c##I##1); \
  }

// Lane masks of a tile's two 8-wide halves for columns [begin, end).
struct HalfMasks {
  __m256i lo, hi;
};
inline HalfMasks half_masks(int begin, int end) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lane_hi = _mm256_add_epi32(lane, _mm256_set1_epi32(8));
  const __m256i b = _mm256_set1_epi32(begin - 1), e = _mm256_set1_epi32(end);
  return {_mm256_and_si256(_mm256_cmpgt_epi32(lane, b), _mm256_cmpgt_epi32(e, lane)),
          _mm256_and_si256(_mm256_cmpgt_epi32(lane_hi, b), _mm256_cmpgt_epi32(e, lane_hi))};
}

// HALF: the tile's last <= 8 columns, so only the left 8-wide half is computed.
// PLANE: B rows and C columns addressed as TileArgs::b_rows and ::segments describe.
template <int MR, bool HALF, bool PLANE>
void micro_avx2(const TileArgs& t) {
  // Named accumulators (not an array) so the compiler keeps all twelve in registers.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  // C and the residual are touched only after the k loop; fetch their rows now so the store
  // does not stall on them (with a short K, as in 1x1 convs, the stall would dominate).
  const float* residual = t.last ? t.residual : nullptr;
  const int64_t first = PLANE ? t.segments->seg[0].offset : 0;
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + first), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + first + 15), _MM_HINT_T0);
    if (residual) {
      const float* r = residual + i * t.ld_residual + first;
      _mm_prefetch(reinterpret_cast<const char*>(r), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(r + 15), _MM_HINT_T0);
    }
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
  const int64_t* rows = t.b_rows;
  int64_t k = t.kc;
  if constexpr (MR == 1 && !HALF && !PLANE) {
    // A GEMV row: two k steps in flight so FMA latency does not cap the B stream.
    for (; k >= 2; k -= 2) {
      const __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + kMR);
      c00 = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b), c00);
      c01 = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + 8), c01);
      c10 = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + ldb), c10);
      c11 = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + ldb + 8), c11);
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
    if constexpr (PLANE) b = t.b + *rows++;
    const __m256 b0 = _mm256_loadu_ps(b), b1 = HALF ? b0 : _mm256_loadu_ps(b + 8);
    SINTER_ROW(0)
    SINTER_ROW(1)
    SINTER_ROW(2)
    SINTER_ROW(3)
    SINTER_ROW(4)
    SINTER_ROW(5)
    a += kMR;
    if constexpr (!PLANE) b += ldb;
  }
  if constexpr (MR == 1 && !HALF && !PLANE) {
    c00 = _mm256_add_ps(c00, c10);
    c01 = _mm256_add_ps(c01, c11);
  }
  const __m256 acc0[6] = {c00, c10, c20, c30, c40, c50};
  const __m256 acc1[6] = {c01, c11, c21, c31, c41, c51};

  if (t.last && t.act->kind == ActivationKind::kSigmoid) {
    alignas(32) float tile[MR * kNR];
    for (int i = 0; i < MR; ++i) {
      _mm256_store_ps(tile + i * kNR, acc0[i]);
      _mm256_store_ps(tile + i * kNR + 8, acc1[i]);
    }
    store_tile_scalar(t, tile, kNR);
    return;
  }
  const bool full = t.nr == kNR;
  const HalfMasks inside = half_masks(0, t.nr);
  const __m256i m0 = inside.lo, m1 = inside.hi;
  // Row i of a tile-shaped operand (the old C, the residual), and the store of row i of C.
  int segments = 0;
  HalfMasks seg_mask[kMaxColumnSegments];
  int64_t seg_offset[kMaxColumnSegments];
  if constexpr (PLANE) {
    segments = t.segments->count;
    for (int s = 0; s < segments; ++s) {
      const ColumnSegment& g = t.segments->seg[s];
      const HalfMasks h = half_masks(g.begin, g.end);
      seg_mask[s] = {_mm256_and_si256(h.lo, m0), _mm256_and_si256(h.hi, m1)};
      seg_offset[s] = g.offset;
    }
  }
  auto load_row = [&](const float* row, __m256& lo, __m256& hi) {
    if constexpr (!PLANE) {
      lo = load8(row, full, m0);
      if constexpr (!HALF) hi = load8(row + 8, full, m1);
    } else {
      lo = hi = _mm256_setzero_ps();
      for (int s = 0; s < segments; ++s) {
        const HalfMasks& m = seg_mask[s];
        const float* p = row + seg_offset[s];
        lo = _mm256_blendv_ps(lo, _mm256_maskload_ps(p, m.lo), _mm256_castsi256_ps(m.lo));
        if constexpr (!HALF)
          hi = _mm256_blendv_ps(hi, _mm256_maskload_ps(p + 8, m.hi), _mm256_castsi256_ps(m.hi));
      }
    }
  };
  auto store_row = [&](float* row, __m256 lo, __m256 hi) {
    if constexpr (!PLANE) {
      store8(row, lo, full, m0);
      if constexpr (!HALF) store8(row + 8, hi, full, m1);
    } else {
      for (int s = 0; s < segments; ++s) {
        _mm256_maskstore_ps(row + seg_offset[s], seg_mask[s].lo, lo);
        if constexpr (!HALF) _mm256_maskstore_ps(row + seg_offset[s] + 8, seg_mask[s].hi, hi);
      }
    }
  };
  const __m256 alpha = _mm256_set1_ps(t.alpha);
  const __m256 cs = _mm256_set1_ps(t.c_scale);
  __m256 bc0 = _mm256_setzero_ps(), bc1 = _mm256_setzero_ps();
  if (t.last && t.bias_col) {
    bc0 = load8(t.bias_col, full, m0);
    bc1 = load8(t.bias_col + 8, full, m1);
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* c = t.c + i * t.ldc;
    __m256 v0 = _mm256_mul_ps(acc0[i], alpha), v1 = _mm256_mul_ps(acc1[i], alpha);
    if (t.c_scale != 0.0f) {
      __m256 o0, o1 = _mm256_setzero_ps();
      load_row(c, o0, o1);
      v0 = _mm256_fmadd_ps(cs, o0, v0);
      if constexpr (!HALF) v1 = _mm256_fmadd_ps(cs, o1, v1);
    }
    if (t.last) {
      if (t.bias_row) {
        const __m256 br = _mm256_broadcast_ss(t.bias_row + i);
        v0 = _mm256_add_ps(v0, br);
        v1 = _mm256_add_ps(v1, br);
      }
      if (t.bias_col) {
        v0 = _mm256_add_ps(v0, bc0);
        v1 = _mm256_add_ps(v1, bc1);
      }
      if (t.residual) {
        __m256 r0, r1 = _mm256_setzero_ps();
        load_row(t.residual + i * t.ld_residual, r0, r1);
        v0 = _mm256_add_ps(v0, r0);
        if constexpr (!HALF) v1 = _mm256_add_ps(v1, r1);
      }
      v0 = activate(v0, *t.act);
      v1 = activate(v1, *t.act);
    }
    store_row(c, v0, v1);
  }
}

#undef SINTER_ROW

template <bool HALF, bool PLANE>
void micro_avx2_rows(const TileArgs& t) {
  switch (t.mr) {
    case 1:
      return micro_avx2<1, HALF, PLANE>(t);
    case 2:
      return micro_avx2<2, HALF, PLANE>(t);
    case 3:
      return micro_avx2<3, HALF, PLANE>(t);
    case 4:
      return micro_avx2<4, HALF, PLANE>(t);
    case 5:
      return micro_avx2<5, HALF, PLANE>(t);
    default:
      return micro_avx2<6, HALF, PLANE>(t);
  }
}

void micro_avx2_dispatch(const TileArgs& t) {
  if (t.b_rows) {
    if (t.nr <= 8) return micro_avx2_rows<true, true>(t);
    return micro_avx2_rows<false, true>(t);
  }
  if (t.nr <= 8) return micro_avx2_rows<true, false>(t);
  micro_avx2_rows<false, false>(t);
}

}  // namespace

const KernelSet& avx2_kernel_set() {
  static const KernelSet ks{"avx2_6x16", kMR, kNR, 256, 144, 512, micro_avx2_dispatch, kMR};
  return ks;
}

}  // namespace sinter::gemm
