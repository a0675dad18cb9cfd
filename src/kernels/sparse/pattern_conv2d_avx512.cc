// The pattern convolution's tile loop with AVX-512: two tiles of 64 flat outputs at once (8 zmm
// vectors; one tile, 4 vectors, at the end), two sets of accumulators (taps 0-1 and 2-3 of each
// kept kernel) added at the end; 4 broadcast weights and 32 shifted loads per kept kernel. Filters
// go in blocks and, for each, the channels in blocks whose tile rows stay in L1; a filter's sums
// wait in `flat` between channel blocks. Two tiles a pass halve the per-kernel and per-block
// overheads (offsets, broadcasts, the loop exit) that bound a one-tile pass more than its loads.
#include <immintrin.h>

#include <algorithm>

#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

namespace {

// Flat outputs [t * kTile, t * kTile + 16 * V) of filters [mb, me), channel block b.
template <int V>
void block_pass(const ShiftedPlanes& p, const PatternWeights& w, const float* base, float* flat,
                int64_t t, int64_t mb, int64_t me, int64_t b) {
  const PatternKernel* kernels = w.kernels.data();
  const int64_t blocks = w.channel_blocks;
  for (int64_t m = mb; m < me; ++m) {
    const int32_t k0 = w.block_begin[m * blocks + b], k1 = w.block_begin[m * blocks + b + 1];
    if (k0 == k1 && b > 0) continue;
    float* sums = flat + m * p.flat_size() + t * ShiftedPlanes::kTile;
    __m512 acc[V], acc2[V];
    for (int v = 0; v < V; ++v) {
      acc[v] = b == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + 16 * v);
      acc2[v] = _mm512_setzero_ps();
    }
    for (int32_t k = k0; k < k1; ++k) {
      // One pointer per tap, so every load is a pointer plus a constant (see the AVX2 loop).
      const int32_t* o = kernels[k].offset;
      const float *s0 = base + o[0], *s1 = base + o[1], *s2 = base + o[2], *s3 = base + o[3];
      asm("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3));
      const float* wk = kernels[k].weight;
      const __m512 w0 = _mm512_set1_ps(wk[0]), w1 = _mm512_set1_ps(wk[1]);
      const __m512 w2 = _mm512_set1_ps(wk[2]), w3 = _mm512_set1_ps(wk[3]);
      for (int v = 0; v < V; ++v) {
        acc[v] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(s0 + 16 * v), acc[v]);
        acc2[v] = _mm512_fmadd_ps(w2, _mm512_loadu_ps(s2 + 16 * v), acc2[v]);
        acc[v] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(s1 + 16 * v), acc[v]);
        acc2[v] = _mm512_fmadd_ps(w3, _mm512_loadu_ps(s3 + 16 * v), acc2[v]);
      }
    }
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(sums + 16 * v, _mm512_add_ps(acc[v], acc2[v]));
  }
}

}  // namespace

void pattern_conv2d_tiles_avx512(const ShiftedPlanes& p, const PatternWeights& w,
                                 const float* padded, float* flat, int64_t t0, int64_t t1,
                                 int64_t m0, int64_t m1) {
  constexpr int kTileVectors = ShiftedPlanes::kTile / 16;
  for (int64_t t = t0; t < t1;) {
    const bool two = t + 1 < t1;
    const float* base = padded + t * ShiftedPlanes::kTile;
    for (int64_t mb = m0; mb < m1; mb += kPatternFilterBlock) {
      const int64_t me = std::min(m1, mb + kPatternFilterBlock);
      for (int64_t b = 0; b < w.channel_blocks; ++b) {
        if (two) {
          block_pass<2 * kTileVectors>(p, w, base, flat, t, mb, me, b);
        } else {
          block_pass<kTileVectors>(p, w, base, flat, t, mb, me, b);
        }
      }
    }
    t += two ? 2 : 1;
  }
}

}  // namespace sinter::detail
