// AVX-512 micro-kernel: an 8 x 32 tile in sixteen zmm accumulators (two 16-wide B loads and
// eight broadcasts of A per k step), with bias, residual and activation applied in registers.
// Eight rows keep the usual channel counts (multiples of 8) free of padded rows; sixteen
// accumulators cover the FMA latency of two 512-bit pipes.
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

// One k step of row I: broadcast A(I, k) against the two B vectors.
#define SINTER_ROW(I)                                                \
  if constexpr (MR > I) {                                            \
    const __m512 ai = _mm512_set1_ps(a[I]);                          \
    c##I##0 = _mm512_fmadd_ps(ai, b0, c##I##0);                      \
    if constexpr (!HALF) c##I##1 = _mm512_fmadd_ps(ai, b1, c##I##1); \
  }

// HALF: the tile's last <= 16 columns, so only the left 16-wide half is computed.
template <int MR, bool HALF>
void micro_avx512(const TileArgs& t) {
  // Named accumulators (not an array) so the compiler keeps all sixteen in registers.
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  // C and the residual are touched only after the k loop; fetch their rows now so the store
  // does not stall on them (with a short K, as in 1x1 convs, the stall would dominate).
  const float* residual = t.last ? t.residual : nullptr;
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc), _MM_HINT_T0);
    if constexpr (!HALF)
      _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + 31), _MM_HINT_T0);
    if (residual) {
      _mm_prefetch(reinterpret_cast<const char*>(residual + i * t.ld_residual), _MM_HINT_T0);
      if constexpr (!HALF)
        _mm_prefetch(reinterpret_cast<const char*>(residual + i * t.ld_residual + 31), _MM_HINT_T0);
    }
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
  int64_t k = t.kc;
  if constexpr (MR == 1 && !HALF) {
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
  for (; k > 0; --k) {
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
    b += ldb;
  }
  if constexpr (MR == 1 && !HALF) {
    c00 = _mm512_add_ps(c00, c10);
    c01 = _mm512_add_ps(c01, c11);
  }
  const __m512 acc0[kMR] = {c00, c10, c20, c30, c40, c50, c60, c70};
  const __m512 acc1[kMR] = {c01, c11, c21, c31, c41, c51, c61, c71};

  if (t.last && t.act->kind == ActivationKind::kSigmoid) {
    alignas(64) float tile[MR * kNR];
    for (int i = 0; i < MR; ++i) {
      _mm512_store_ps(tile + i * kNR, acc0[i]);
      _mm512_store_ps(tile + i * kNR + 16, acc1[i]);
    }
    store_tile_scalar(t, tile, kNR);
    return;
  }
  // Lanes of each half that fall inside C.
  const __mmask16 m0 = t.nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << t.nr) - 1);
  const __mmask16 m1 = t.nr >= 32  ? __mmask16(0xFFFF)
                       : t.nr > 16 ? __mmask16((1u << (t.nr - 16)) - 1)
                                   : __mmask16(0);
  const __m512 alpha = _mm512_set1_ps(t.alpha);
  const __m512 cs = _mm512_set1_ps(t.c_scale);
  __m512 bc0 = _mm512_setzero_ps(), bc1 = _mm512_setzero_ps();
  if (t.last && t.bias_col) {
    bc0 = _mm512_maskz_loadu_ps(m0, t.bias_col);
    bc1 = _mm512_maskz_loadu_ps(m1, t.bias_col + 16);
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* c = t.c + i * t.ldc;
    __m512 v0 = _mm512_mul_ps(acc0[i], alpha), v1 = _mm512_mul_ps(acc1[i], alpha);
    if (t.c_scale != 0.0f) {
      v0 = _mm512_fmadd_ps(cs, _mm512_maskz_loadu_ps(m0, c), v0);
      if constexpr (!HALF) v1 = _mm512_fmadd_ps(cs, _mm512_maskz_loadu_ps(m1, c + 16), v1);
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
        const float* r = t.residual + i * t.ld_residual;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r));
        if constexpr (!HALF) v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
      }
      v0 = activate(v0, *t.act);
      v1 = activate(v1, *t.act);
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    if constexpr (!HALF) _mm512_mask_storeu_ps(c + 16, m1, v1);
  }
}

#undef SINTER_ROW

template <bool HALF>
void micro_avx512_rows(const TileArgs& t) {
  switch (t.mr) {
    case 1:
      return micro_avx512<1, HALF>(t);
    case 2:
      return micro_avx512<2, HALF>(t);
    case 3:
      return micro_avx512<3, HALF>(t);
    case 4:
      return micro_avx512<4, HALF>(t);
    case 5:
      return micro_avx512<5, HALF>(t);
    case 6:
      return micro_avx512<6, HALF>(t);
    case 7:
      return micro_avx512<7, HALF>(t);
    default:
      return micro_avx512<8, HALF>(t);
  }
}

void micro_avx512_dispatch(const TileArgs& t) {
  if (t.nr <= 16) return micro_avx512_rows<true>(t);
  micro_avx512_rows<false>(t);
}

}  // namespace

const KernelSet& avx512_kernel_set() {
  static const KernelSet ks{"avx512_8x32", kMR, kNR, 256, 128, 1024, micro_avx512_dispatch};
  return ks;
}

}  // namespace sinter::gemm
