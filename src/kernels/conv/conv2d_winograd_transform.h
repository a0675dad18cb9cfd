#pragma once
// Winograd F(4x4, 3x3) input and output transforms, written once and compiled once per ISA tier
// (conv2d_winograd_<tier>.cc; everything here has internal linkage so the builds never mix). Each
// transform is split into a 1-D pass along image rows (strided, per tile) and a 1-D pass across
// rows that is element-wise over the tiles of a tile row. The row passes are 8 tiles wide (AVX2
// transposes, at the AVX-512 tier too); the element-wise passes run 16 lanes at AVX-512, 8 at
// AVX2 and scalar otherwise.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d_winograd.h"
#include "kernels/thread_scratch.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace sinter {
namespace {

#ifdef __AVX2__
// 4x8 transpose within 128-bit lanes: from 32 floats (8 groups of 4) to 4 vectors whose lanes
// are the groups in the order 0,2,4,6,1,3,5,7. The same network also inverts itself.
inline void transpose_4x8(__m256 v0, __m256 v1, __m256 v2, __m256 v3, __m256* out) {
  const __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1);
  const __m256 t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3);
  out[0] = _mm256_shuffle_ps(t0, t2, 0x44);
  out[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
  out[2] = _mm256_shuffle_ps(t1, t3, 0x44);
  out[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

// Row pass of the input transform for 8 tiles: p[4l + j], j < 6, read from 36 floats.
inline void input_row_pass8(const float* p, float* ri, int64_t n) {
  __m256 a[4], b[4];
  transpose_4x8(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _mm256_loadu_ps(p + 16),
                _mm256_loadu_ps(p + 24), a);
  transpose_4x8(_mm256_loadu_ps(p + 4), _mm256_loadu_ps(p + 12), _mm256_loadu_ps(p + 20),
                _mm256_loadu_ps(p + 28), b);
  const __m256 d0 = a[0], d1 = a[1], d2 = a[2], d3 = a[3], d4 = b[0], d5 = b[1];
  const __m256 c2 = _mm256_set1_ps(2.0f), c4 = _mm256_set1_ps(4.0f), c5 = _mm256_set1_ps(5.0f);
  __m256 r[6];
  r[0] = _mm256_add_ps(_mm256_fnmadd_ps(c5, d2, _mm256_mul_ps(c4, d0)), d4);
  r[1] = _mm256_add_ps(_mm256_fnmadd_ps(c4, _mm256_add_ps(d1, d2), d3), d4);
  r[2] = _mm256_fmadd_ps(c4, _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));
  r[3] = _mm256_fmadd_ps(c2, _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));
  r[4] = _mm256_fmadd_ps(c2, _mm256_sub_ps(d1, d3), _mm256_sub_ps(d4, d2));
  r[5] = _mm256_add_ps(_mm256_fnmadd_ps(c5, d3, _mm256_mul_ps(c4, d1)), d5);
  const __m256i natural = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int k = 0; k < 6; ++k) _mm256_storeu_ps(ri + k * n, _mm256_permutevar8x32_ps(r[k], natural));
}

// Row pass of the output transform for 8 tiles: o[b][l] -> 32 contiguous outputs.
inline void output_row_pass8(const __m256* o, float* dst) {
  const __m256i grouped = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  __m256 v[4];
  transpose_4x8(_mm256_permutevar8x32_ps(o[0], grouped), _mm256_permutevar8x32_ps(o[1], grouped),
                _mm256_permutevar8x32_ps(o[2], grouped), _mm256_permutevar8x32_ps(o[3], grouped),
                v);
  for (int i = 0; i < 4; ++i) _mm256_storeu_ps(dst + 8 * i, v[i]);
}
#endif

// Copies n floats; dst may be overwritten up to n rounded up to 8 (masked stores are slow on
// AMD, so the tail is a masked load and a full store into the caller's slack).
inline void copy_floats_slack(const float* src, int64_t n, float* dst) {
#ifdef __AVX2__
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
  if (i < n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_storeu_ps(dst + i, _mm256_maskload_ps(src + i, mask));
  }
#else
  std::copy(src, src + n, dst);
#endif
}

// Calls fn(th, tw_begin, tw_end, col) for each tile-row run of the block; col is the GEMM
// column of (th, tw_begin).
template <class Fn>
void for_each_row_run(const WinogradBlock& b, Fn&& fn) {
  for (int64_t t = b.t0; t < b.t0 + b.tb;) {
    const int64_t th = t / b.tiles_w, tw = t % b.tiles_w;
    const int64_t end = std::min(b.tiles_w, tw + (b.t0 + b.tb - t));
    fn(th, tw, end, t - b.t0);
    t += end - tw;
  }
}

// B^T applied across six rows of n values each.
inline void bt6(const float* const* in, float* const* out, int64_t n) {
  const float *d0 = in[0], *d1 = in[1], *d2 = in[2], *d3 = in[3], *d4 = in[4], *d5 = in[5];
  float *r0 = out[0], *r1 = out[1], *r2 = out[2], *r3 = out[3], *r4 = out[4], *r5 = out[5];
  int64_t l = 0;
#ifdef __AVX512F__
  // 16 lanes while they stay inside the row stride (n rounded up to 8); the 8-lane loop ends it.
  {
    const int64_t stride = (n + 7) / 8 * 8;
    const __m512 c2 = _mm512_set1_ps(2.0f), c4 = _mm512_set1_ps(4.0f), c5 = _mm512_set1_ps(5.0f);
    for (; l + 16 <= stride; l += 16) {
      const __m512 v0 = _mm512_loadu_ps(d0 + l), v1 = _mm512_loadu_ps(d1 + l);
      const __m512 v2 = _mm512_loadu_ps(d2 + l), v3 = _mm512_loadu_ps(d3 + l);
      const __m512 v4 = _mm512_loadu_ps(d4 + l), v5 = _mm512_loadu_ps(d5 + l);
      _mm512_storeu_ps(r0 + l, _mm512_add_ps(_mm512_fnmadd_ps(c5, v2, _mm512_mul_ps(c4, v0)), v4));
      _mm512_storeu_ps(r1 + l, _mm512_add_ps(_mm512_fnmadd_ps(c4, _mm512_add_ps(v1, v2), v3), v4));
      _mm512_storeu_ps(r2 + l, _mm512_fmadd_ps(c4, _mm512_sub_ps(v1, v2), _mm512_sub_ps(v4, v3)));
      _mm512_storeu_ps(r3 + l, _mm512_fmadd_ps(c2, _mm512_sub_ps(v3, v1), _mm512_sub_ps(v4, v2)));
      _mm512_storeu_ps(r4 + l, _mm512_fmadd_ps(c2, _mm512_sub_ps(v1, v3), _mm512_sub_ps(v4, v2)));
      _mm512_storeu_ps(r5 + l, _mm512_add_ps(_mm512_fnmadd_ps(c5, v3, _mm512_mul_ps(c4, v1)), v5));
    }
  }
#endif
#ifdef __AVX2__
  // n is padded to 8 by the callers' row strides.
  const __m256 c2 = _mm256_set1_ps(2.0f), c4 = _mm256_set1_ps(4.0f), c5 = _mm256_set1_ps(5.0f);
  for (; l < n; l += 8) {
    const __m256 v0 = _mm256_loadu_ps(d0 + l), v1 = _mm256_loadu_ps(d1 + l);
    const __m256 v2 = _mm256_loadu_ps(d2 + l), v3 = _mm256_loadu_ps(d3 + l);
    const __m256 v4 = _mm256_loadu_ps(d4 + l), v5 = _mm256_loadu_ps(d5 + l);
    _mm256_storeu_ps(r0 + l, _mm256_add_ps(_mm256_fnmadd_ps(c5, v2, _mm256_mul_ps(c4, v0)), v4));
    _mm256_storeu_ps(r1 + l, _mm256_add_ps(_mm256_fnmadd_ps(c4, _mm256_add_ps(v1, v2), v3), v4));
    _mm256_storeu_ps(r2 + l, _mm256_fmadd_ps(c4, _mm256_sub_ps(v1, v2), _mm256_sub_ps(v4, v3)));
    _mm256_storeu_ps(r3 + l, _mm256_fmadd_ps(c2, _mm256_sub_ps(v3, v1), _mm256_sub_ps(v4, v2)));
    _mm256_storeu_ps(r4 + l, _mm256_fmadd_ps(c2, _mm256_sub_ps(v1, v3), _mm256_sub_ps(v4, v2)));
    _mm256_storeu_ps(r5 + l, _mm256_add_ps(_mm256_fnmadd_ps(c5, v3, _mm256_mul_ps(c4, v1)), v5));
  }
#endif
  for (; l < n; ++l) {
    r0[l] = 4.0f * d0[l] - 5.0f * d2[l] + d4[l];
    r1[l] = -4.0f * (d1[l] + d2[l]) + d3[l] + d4[l];
    r2[l] = 4.0f * (d1[l] - d2[l]) - d3[l] + d4[l];
    r3[l] = 2.0f * (d3[l] - d1[l]) - d2[l] + d4[l];
    r4[l] = 2.0f * (d1[l] - d3[l]) - d2[l] + d4[l];
    r5[l] = 4.0f * d1[l] - 5.0f * d3[l] + d5[l];
  }
}

// A^T applied across six rows of n values each (four outputs).
inline void at6(const float* const* in, float* const* out, int64_t n) {
  const float *m0 = in[0], *m1 = in[1], *m2 = in[2], *m3 = in[3], *m4 = in[4], *m5 = in[5];
  float *r0 = out[0], *r1 = out[1], *r2 = out[2], *r3 = out[3];
  int64_t l = 0;
#ifdef __AVX512F__
  // 16 lanes while they stay inside the row stride (n rounded up to 8); the 8-lane loop ends it.
  for (const int64_t stride = (n + 7) / 8 * 8; l + 16 <= stride; l += 16) {
    const __m512 v1 = _mm512_loadu_ps(m1 + l), v2 = _mm512_loadu_ps(m2 + l);
    const __m512 v3 = _mm512_loadu_ps(m3 + l), v4 = _mm512_loadu_ps(m4 + l);
    const __m512 a = _mm512_add_ps(v1, v2), b = _mm512_sub_ps(v1, v2);
    const __m512 c = _mm512_add_ps(v3, v4), e = _mm512_sub_ps(v3, v4);
    _mm512_storeu_ps(r0 + l, _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(m0 + l), a), c));
    _mm512_storeu_ps(r1 + l, _mm512_fmadd_ps(_mm512_set1_ps(2.0f), e, b));
    _mm512_storeu_ps(r2 + l, _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a));
    _mm512_storeu_ps(r3 + l, _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), e, b),
                                           _mm512_loadu_ps(m5 + l)));
  }
#endif
#ifdef __AVX2__
  // n is padded to 8 by the callers' row strides (the extra lanes are dropped later).
  for (; l < n; l += 8) {
    const __m256 v1 = _mm256_loadu_ps(m1 + l), v2 = _mm256_loadu_ps(m2 + l);
    const __m256 v3 = _mm256_loadu_ps(m3 + l), v4 = _mm256_loadu_ps(m4 + l);
    const __m256 a = _mm256_add_ps(v1, v2), b = _mm256_sub_ps(v1, v2);
    const __m256 c = _mm256_add_ps(v3, v4), e = _mm256_sub_ps(v3, v4);
    _mm256_storeu_ps(r0 + l, _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(m0 + l), a), c));
    _mm256_storeu_ps(r1 + l, _mm256_fmadd_ps(_mm256_set1_ps(2.0f), e, b));
    _mm256_storeu_ps(r2 + l, _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a));
    _mm256_storeu_ps(r3 + l, _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), e, b),
                                           _mm256_loadu_ps(m5 + l)));
  }
#endif
  for (; l < n; ++l) {
    const float a = m1[l] + m2[l], b = m1[l] - m2[l], c = m3[l] + m4[l], e = m3[l] - m4[l];
    r0[l] = m0[l] + a + c;
    r1[l] = b + 2.0f * e;
    r2[l] = a + 4.0f * c;
    r3[l] = b + 8.0f * e + m5[l];
  }
}

// Where one piece of a tile-row run lands in the packed B: columns [j, j + len) of the run go to
// column `within` of sliver `sliver`; slack: the 8-wide copy's spill-over stays in the sliver
// row, in columns of tiles written later.
struct SliverPiece {
  int64_t j, len, sliver, within;
  bool slack;
};

// Tags of the transforms' per-thread scratch (kernels/thread_scratch.h).
struct WinogradInputRows;
struct WinogradOutputRows;

// Input transform of channels [c0, c1) of one image into the packed B operands.
void winograd_input(const WinogradBlock& b, const float* x, int64_t c0, int64_t c1) {
  const Conv2dShape& s = *b.s;
  const int64_t C = s.C, H = s.H, W = s.W;
  // Per-run arrays have a row stride of n rounded up to 8, so the 8-tile vector passes also
  // cover a run's tail (the extra lanes are computed and dropped).
  const int64_t ns_max = (b.tiles_w + 7) / 8 * 8;
  float* row = kernels::thread_scratch<WinogradInputRows>((4 * ns_max + 8) + 72 * ns_max);
  // row: one padded input row of a run
  float* r = row + 4 * ns_max + 8;  // [6 rows][6 k'][ns]: row pass results
  float* vt = r + 36 * ns_max;      // [36][ns]: both passes
  // The block's tile-row runs and the sliver pieces they split into, the same for every
  // channel: found once, not per channel and GEMM (the divisions cost as much as the transform).
  struct Run {
    int64_t th, ta, n;
    size_t first, count;  // pieces
  };
  thread_local std::vector<Run> runs;
  thread_local std::vector<SliverPiece> pieces;
  runs.clear();
  pieces.clear();
  for_each_row_run(b, [&](int64_t th, int64_t ta, int64_t te, int64_t col) {
    const int64_t n = te - ta;
    runs.push_back({th, ta, n, pieces.size(), 0});
    for (int64_t j = 0; j < n;) {
      const int64_t cj = col + j, within = cj % b.nr;
      const int64_t len = std::min<int64_t>(n - j, b.nr - within);
      pieces.push_back({j, len, cj / b.nr, within, within + (len + 7) / 8 * 8 <= b.nr});
      j += len;
    }
    runs.back().count = pieces.size() - runs.back().first;
  });
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    const int64_t pc = c / b.kb * b.kb, kc = std::min(b.kb, C - pc);
    for (const Run& run : runs) {
      const int64_t th = run.th, ta = run.ta, n = run.n;
      const int64_t ns = (n + 7) / 8 * 8, iw0 = 4 * ta - s.pad_left;
      const int64_t width = 4 * n + 2, padded = 4 * ns + 8;
      for (int i = 0; i < 6; ++i) {
        const int64_t ih = 4 * th - s.pad_top + i;
        if (ih < 0 || ih >= H) {
          std::fill(row, row + padded, 0.0f);
        } else {
          const float* xr = xc + ih * W;
          const int64_t lo = std::clamp<int64_t>(-iw0, 0, width);
          const int64_t hi = std::clamp<int64_t>(W - iw0, lo, width);
          std::fill(row, row + lo, 0.0f);
          copy_floats_slack(xr + iw0 + lo, hi - lo, row + lo);
          std::fill(row + hi, row + padded, 0.0f);
        }
        // Row pass: B^T over the six columns of each tile (stride 4 along the row).
        float* ri = r + i * 6 * ns;
        int64_t l = 0;
#ifdef __AVX2__
        for (; l < n; l += 8) input_row_pass8(row + 4 * l, ri + l, ns);
#endif
        for (; l < n; ++l) {
          const float* d = row + 4 * l;
          ri[0 * ns + l] = 4.0f * d[0] - 5.0f * d[2] + d[4];
          ri[1 * ns + l] = -4.0f * (d[1] + d[2]) + d[3] + d[4];
          ri[2 * ns + l] = 4.0f * (d[1] - d[2]) - d[3] + d[4];
          ri[3 * ns + l] = 2.0f * (d[3] - d[1]) - d[2] + d[4];
          ri[4 * ns + l] = 2.0f * (d[1] - d[3]) - d[2] + d[4];
          ri[5 * ns + l] = 4.0f * d[1] - 5.0f * d[3] + d[5];
        }
      }
      // Column pass: B^T across the six rows, element-wise over the run's tiles.
      for (int k = 0; k < 6; ++k) {
        const float* in[6];
        float* out[6];
        for (int i = 0; i < 6; ++i) {
          in[i] = r + (i * 6 + k) * ns;
          out[i] = vt + (i * 6 + k) * ns;
        }
        bt6(in, out, n);
      }
      // Scatter into the packed-B slivers of each of the 36 GEMMs: sliver q of channel c's
      // K block starts at q * kc * nr, row c - pc of it at (c - pc) * nr.
      const SliverPiece* ps = pieces.data() + run.first;
      for (int xi = 0; xi < 36; ++xi) {
        float* dst = b.v + xi * C * b.npad + pc * b.npad + (c - pc) * b.nr;
        const float* src = vt + xi * ns;
        for (size_t q = 0; q < run.count; ++q) {
          const SliverPiece& piece = ps[q];
          float* d = dst + piece.sliver * kc * b.nr + piece.within;
          if (piece.slack) {
            copy_floats_slack(src + piece.j, piece.len, d);
          } else {
            std::copy(src + piece.j, src + piece.j + piece.len, d);
          }
        }
      }
    }
  }
}

// y[0, n) = act(v + bias + residual), with the common activations in vectorizable loops.
inline void epilogue_row(float* y, const float* v, const float* res, int64_t n, float bias,
                         const Activation& act) {
  for (int64_t j = 0; j < n; ++j) y[j] = v[j] + bias + (res ? res[j] : 0.0f);
  switch (act.kind) {
    case ActivationKind::kNone:
      return;
    case ActivationKind::kRelu:
      for (int64_t j = 0; j < n; ++j) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
      return;
    case ActivationKind::kClip:
      for (int64_t j = 0; j < n; ++j) y[j] = std::min(std::max(y[j], act.alpha), act.beta);
      return;
    default:
      for (int64_t j = 0; j < n; ++j) y[j] = act.apply(y[j]);
  }
}

// Output transform of output channels [m0, m1) of one image, with the fused epilogue.
void winograd_output(const WinogradBlock& b, int64_t m0, int64_t m1, const float* bias,
                     const float* residual, const Activation& act, float* y) {
  const Conv2dShape& s = *b.s;
  const int64_t M = s.M, OH = s.OH(), OW = s.OW();
  const int64_t ns_max = (b.tiles_w + 7) / 8 * 8;  // row stride as in winograd_input
  // [4 rows][6 k][ns]: column pass results
  float* q = kernels::thread_scratch<WinogradOutputRows>(24 * ns_max + 4 * ns_max);
  float* orow = q + 24 * ns_max;  // one output row of the run
  for (int64_t oc = m0; oc < m1; ++oc) {
    const float bv = bias ? bias[oc] : 0.0f;
    for_each_row_run(b, [&](int64_t th, int64_t ta, int64_t te, int64_t col) {
      const int64_t n = te - ta, ns = (n + 7) / 8 * 8;
      // Column pass: A^T across the six rows of GEMM results, element-wise over tiles.
      for (int k = 0; k < 6; ++k) {
        const float* in[6];
        float* out[4];
        for (int i = 0; i < 6; ++i) in[i] = b.m + ((i * 6 + k) * M + oc) * b.npad + col;
        for (int a = 0; a < 4; ++a) out[a] = q + (a * 6 + k) * ns;
        at6(in, out, n);
      }
      const int64_t ow0 = 4 * ta, width = std::min(4 * n, OW - ow0);
      for (int a = 0; a < 4; ++a) {
        const int64_t oh = 4 * th + a;
        if (oh >= OH) break;
        // Row pass: A^T over the six columns of each tile, four outputs per tile.
        const float* qa = q + a * 6 * ns;
        int64_t l = 0;
#ifdef __AVX2__
        for (; l < n; l += 8) {
          const float* e = qa + l;
          const __m256 m0 = _mm256_loadu_ps(e), m1 = _mm256_loadu_ps(e + ns);
          const __m256 m2 = _mm256_loadu_ps(e + 2 * ns), m3 = _mm256_loadu_ps(e + 3 * ns);
          const __m256 m4 = _mm256_loadu_ps(e + 4 * ns), m5 = _mm256_loadu_ps(e + 5 * ns);
          const __m256 a1 = _mm256_add_ps(m1, m2), b1 = _mm256_sub_ps(m1, m2);
          const __m256 c1 = _mm256_add_ps(m3, m4), e1 = _mm256_sub_ps(m3, m4);
          const __m256 o[4] = {_mm256_add_ps(_mm256_add_ps(m0, a1), c1),
                               _mm256_fmadd_ps(_mm256_set1_ps(2.0f), e1, b1),
                               _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c1, a1),
                               _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), e1, b1), m5)};
          output_row_pass8(o, orow + 4 * l);
        }
#endif
        for (; l < n; ++l) {
          const float a1 = qa[ns + l] + qa[2 * ns + l], b1 = qa[ns + l] - qa[2 * ns + l];
          const float c1 = qa[3 * ns + l] + qa[4 * ns + l], e1 = qa[3 * ns + l] - qa[4 * ns + l];
          float* o = orow + 4 * l;
          o[0] = qa[l] + a1 + c1;
          o[1] = b1 + 2.0f * e1;
          o[2] = a1 + 4.0f * c1;
          o[3] = b1 + 8.0f * e1 + qa[5 * ns + l];
        }
        const int64_t off = (oc * OH + oh) * OW + ow0;
        epilogue_row(y + off, orow, residual ? residual + off : nullptr, width, bv, act);
      }
    });
  }
}

}  // namespace
}  // namespace sinter
