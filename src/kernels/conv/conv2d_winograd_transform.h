#pragma once
// Winograd F(4x4, 3x3) input and output transforms, written once and compiled once per ISA tier
// (conv2d_winograd_<tier>.cc; everything here has internal linkage so the builds never mix). Each
// transform is split into a 1-D pass along image rows (strided, per tile) and a 1-D pass across
// rows that is element-wise over all the tiles of a block. The row passes are 8 tiles wide (AVX2
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

// Tags of the transforms' per-thread scratch (kernels/thread_scratch.h).
struct WinogradInputRows;
struct WinogradOutputRows;

// Row stride of the transforms' per-block arrays: the block's tiles side by side, with room for
// the 8-tile row passes of the last run to spill past its end.
inline int64_t block_stride(const WinogradBlock& b) { return (b.tb + 7) / 8 * 8 + 8; }

// Input transform of channels [c0, c1) of one image into the packed B operands. The row passes
// run per tile-row run; the column pass and the copy into the slivers run once over the whole
// block, so a small plane (4 tiles per row on 14x14) does not pay them per run.
void winograd_input(const WinogradBlock& b, const float* x, int64_t c0, int64_t c1) {
  const Conv2dShape& s = *b.s;
  const int64_t C = s.C, H = s.H, W = s.W;
  const int64_t ns_max = (b.tiles_w + 7) / 8 * 8, T = block_stride(b);
  float* row = kernels::thread_scratch<WinogradInputRows>((4 * ns_max + 8) + 72 * T);
  // row: one padded input row of a run
  float* r = row + 4 * ns_max + 8;  // [6 rows][6 k'][T]: row pass results
  float* vt = r + 36 * T;           // [36][T]: both passes
  struct Run {
    int64_t th, ta, n, col;
  };
  thread_local std::vector<Run> runs;
  runs.clear();
  for_each_row_run(b, [&](int64_t th, int64_t ta, int64_t te, int64_t col) {
    runs.push_back({th, ta, te - ta, col});
  });
  // The block starts a sliver, so its tiles fill whole slivers but the last. Its lanes past the
  // block get zeros up to what the micro-kernel reads (half a sliver for a tile of at most half
  // a sliver, all of it otherwise), so no stale value (a denormal, say) enters its FMAs.
  const int64_t last_len = b.tb - (b.tb - 1) / b.nr * b.nr;
  const int64_t last_fill = last_len <= b.nr / 2 ? b.nr / 2 : b.nr;
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
        // Row pass: B^T over the six columns of each tile (stride 4 along the row). The 8-tile
        // passes spill past the run into columns the next run overwrites.
        float* ri = r + i * 6 * T + run.col;
        int64_t l = 0;
#ifdef __AVX2__
        for (; l < n; l += 8) input_row_pass8(row + 4 * l, ri + l, T);
#endif
        for (; l < n; ++l) {
          const float* d = row + 4 * l;
          ri[0 * T + l] = 4.0f * d[0] - 5.0f * d[2] + d[4];
          ri[1 * T + l] = -4.0f * (d[1] + d[2]) + d[3] + d[4];
          ri[2 * T + l] = 4.0f * (d[1] - d[2]) - d[3] + d[4];
          ri[3 * T + l] = 2.0f * (d[3] - d[1]) - d[2] + d[4];
          ri[4 * T + l] = 2.0f * (d[1] - d[3]) - d[2] + d[4];
          ri[5 * T + l] = 4.0f * d[1] - 5.0f * d[3] + d[5];
        }
      }
    }
    // Column pass: B^T across the six rows, element-wise over the block's tiles.
    for (int k = 0; k < 6; ++k) {
      const float* in[6];
      float* out[6];
      for (int i = 0; i < 6; ++i) {
        in[i] = r + (i * 6 + k) * T;
        out[i] = vt + (i * 6 + k) * T;
      }
      bt6(in, out, b.tb);
    }
    // Into the packed-B slivers of each of the 36 GEMMs: sliver q of channel c's K block starts
    // at q * kc * nr, row c - pc of it at (c - pc) * nr.
    for (int xi = 0; xi < 36; ++xi) {
      float* dst = b.v + xi * C * b.npad + pc * b.npad + (c - pc) * b.nr;
      const float* src = vt + xi * T;
      for (int64_t j = 0; j < b.tb; j += b.nr, dst += kc * b.nr) {
        const int64_t len = std::min<int64_t>(b.nr, b.tb - j);
        std::copy(src + j, src + j + len, dst);
        if (len < b.nr) std::fill(dst + len, dst + last_fill, 0.0f);
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

// Output transform of output channels [m0, m1) of one image, with the fused epilogue. The column
// pass runs once over the whole block, the row passes per tile-row run.
void winograd_output(const WinogradBlock& b, int64_t m0, int64_t m1, const float* bias,
                     const float* residual, const Activation& act, float* y) {
  const Conv2dShape& s = *b.s;
  const int64_t M = s.M, OH = s.OH(), OW = s.OW();
  const int64_t ns_max = (b.tiles_w + 7) / 8 * 8, T = block_stride(b);
  // [4 rows][6 k][T]: column pass results
  float* q = kernels::thread_scratch<WinogradOutputRows>(24 * T + 4 * ns_max);
  float* orow = q + 24 * T;  // one output row of a run
  for (int64_t oc = m0; oc < m1; ++oc) {
    const float bv = bias ? bias[oc] : 0.0f;
    // Column pass: A^T across the six rows of GEMM results, element-wise over tiles.
    for (int k = 0; k < 6; ++k) {
      const float* in[6];
      float* out[4];
      for (int i = 0; i < 6; ++i) in[i] = b.m + ((i * 6 + k) * M + oc) * b.npad;
      for (int a = 0; a < 4; ++a) out[a] = q + (a * 6 + k) * T;
      at6(in, out, b.tb);
    }
    for_each_row_run(b, [&](int64_t th, int64_t ta, int64_t te, int64_t col) {
      const int64_t n = te - ta;
      const int64_t ow0 = 4 * ta, width = std::min(4 * n, OW - ow0);
      for (int a = 0; a < 4; ++a) {
        const int64_t oh = 4 * th + a;
        if (oh >= OH) break;
        // Row pass: A^T over the six columns of each tile, four outputs per tile.
        const float* qa = q + a * 6 * T + col;
        int64_t l = 0;
#ifdef __AVX2__
        for (; l < n; l += 8) {
          const float* e = qa + l;
          const __m256 m0 = _mm256_loadu_ps(e), m1 = _mm256_loadu_ps(e + T);
          const __m256 m2 = _mm256_loadu_ps(e + 2 * T), m3 = _mm256_loadu_ps(e + 3 * T);
          const __m256 m4 = _mm256_loadu_ps(e + 4 * T), m5 = _mm256_loadu_ps(e + 5 * T);
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
          const float a1 = qa[T + l] + qa[2 * T + l], b1 = qa[T + l] - qa[2 * T + l];
          const float c1 = qa[3 * T + l] + qa[4 * T + l], e1 = qa[3 * T + l] - qa[4 * T + l];
          float* o = orow + 4 * l;
          o[0] = qa[l] + a1 + c1;
          o[1] = b1 + 2.0f * e1;
          o[2] = a1 + 4.0f * c1;
          o[3] = b1 + 8.0f * e1 + qa[5 * T + l];
        }
        const int64_t off = (oc * OH + oh) * OW + ow0;
        epilogue_row(y + off, orow, residual ? residual + off : nullptr, width, bv, act);
      }
    });
  }
}

}  // namespace
}  // namespace sinter
