// The AVX-512 tier of the integer pattern convolution, with AVX-512-VNNI. Per tile of 64 or 128
// flat positions and channel block, each (channel, pattern) pair's tap quads are built from its 4
// taps' 64-byte runs by two rounds of unpacks (bytes, then words), then every filter adds each kept
// kernel with one vpdpbusd a vector: 4 or 8 quad vectors times its 4 weights broadcast as one
// word. The unpacks work within 128-bit lanes, so in each run of 64 positions quad vector v's lane
// 4L + j is position 16L + 4v + j; every pair has the same order, the sums keep it between channel
// blocks, and a 4 x 4 transpose of 128-bit lanes restores flat order before the last store.
#include <immintrin.h>

#include <algorithm>

#include "kernels/qgemm/requantizer_avx512.h"
#include "kernels/sparse/qpattern_conv2d.h"
#include "kernels/thread_scratch.h"

namespace sinter::kernels::detail {

namespace {

// The quads of pairs [0, count) for the V / 4 runs of 64 positions from `position`: V vectors a
// pair.
template <int V>
SINTER_VNNI_TARGET void build_quads(const QPatternPair* pairs, int64_t count, const uint8_t* planes,
                                    int64_t position, uint8_t* quads) {
  for (int64_t i = 0; i < count; ++i) {
    const int32_t* o = pairs[i].tap_offset;
    for (int h = 0; h < V / 4; ++h) {
      const uint8_t* at = planes + position + 64 * h;
      const __m512i a = _mm512_loadu_si512(at + o[0]), b = _mm512_loadu_si512(at + o[1]);
      const __m512i c = _mm512_loadu_si512(at + o[2]), d = _mm512_loadu_si512(at + o[3]);
      const __m512i ab_lo = _mm512_unpacklo_epi8(a, b), ab_hi = _mm512_unpackhi_epi8(a, b);
      const __m512i cd_lo = _mm512_unpacklo_epi8(c, d), cd_hi = _mm512_unpackhi_epi8(c, d);
      uint8_t* out = quads + (i * V + 4 * h) * 64;
      _mm512_store_si512(out, _mm512_unpacklo_epi16(ab_lo, cd_lo));
      _mm512_store_si512(out + 64, _mm512_unpackhi_epi16(ab_lo, cd_lo));
      _mm512_store_si512(out + 128, _mm512_unpacklo_epi16(ab_hi, cd_hi));
      _mm512_store_si512(out + 192, _mm512_unpackhi_epi16(ab_hi, cd_hi));
    }
  }
}

// acc[v]'s 128-bit lane u moves to acc[u]'s lane v: the quads' order back to flat order.
SINTER_VNNI_TARGET inline void to_flat_order(__m512i* acc) {
  const __m512i t0 = _mm512_shuffle_i32x4(acc[0], acc[1], 0x44);
  const __m512i t1 = _mm512_shuffle_i32x4(acc[0], acc[1], 0xEE);
  const __m512i t2 = _mm512_shuffle_i32x4(acc[2], acc[3], 0x44);
  const __m512i t3 = _mm512_shuffle_i32x4(acc[2], acc[3], 0xEE);
  acc[0] = _mm512_shuffle_i32x4(t0, t2, 0x88);
  acc[1] = _mm512_shuffle_i32x4(t0, t2, 0xDD);
  acc[2] = _mm512_shuffle_i32x4(t1, t3, 0x88);
  acc[3] = _mm512_shuffle_i32x4(t1, t3, 0xDD);
}

struct QuadsTag {};

// 16 x 16 bytes transposed by four rounds of byte unpacks, register i with i + 8.
void to_planes_avx512(const uint8_t* src, int64_t src_stride, int64_t n, int64_t C, uint8_t* dst,
                      int64_t dst_stride) {
  const int64_t whole_j = n / 16 * 16, whole_c = C / 16 * 16;
  for (int64_t j = 0; j < whole_j; j += 16)
    for (int64_t c = 0; c < whole_c; c += 16) {
      __m128i x[16], y[16];
      for (int r = 0; r < 16; ++r)
        x[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (j + r) * src_stride + c));
      for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 8; ++i) {
          y[2 * i] = _mm_unpacklo_epi8(x[i], x[i + 8]);
          y[2 * i + 1] = _mm_unpackhi_epi8(x[i], x[i + 8]);
        }
        for (int i = 0; i < 16; ++i) x[i] = y[i];
      }
      for (int r = 0; r < 16; ++r)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (c + r) * dst_stride + j), x[r]);
    }
  for (int64_t j = 0; j < n; ++j)  // the edges
    for (int64_t c = j < whole_j ? whole_c : 0; c < C; ++c)
      dst[c * dst_stride + j] = src[j * src_stride + c];
}

// Tiles of V vectors (16 V positions). Kernels in pairs, each with its own accumulators where
// V = 4: 8 chains hide vpdpbusd's latency.
template <int V>
SINTER_VNNI_TARGET void tiles_of(const QPatternWeights& w, const uint8_t* planes, int64_t tiles,
                                 int64_t m0, int64_t m1, int32_t* sums, int64_t sums_stride) {
  constexpr int kSets = V == 4 ? 2 : 1;
  const int64_t blocks = w.channel_blocks;
  int64_t most_pairs = 0;
  for (int64_t b = 0; b < blocks; ++b)
    most_pairs = std::max<int64_t>(most_pairs, w.block_pairs[b + 1] - w.block_pairs[b]);
  auto* quads = reinterpret_cast<uint8_t*>(thread_scratch<QuadsTag>(most_pairs * V * 16));
  const QPatternKernel* kernels = w.kernels.data();
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t position = t * 16 * V;
    for (int64_t b = 0; b < blocks; ++b) {
      build_quads<V>(w.pairs.data() + w.block_pairs[b], w.block_pairs[b + 1] - w.block_pairs[b],
                     planes, position, quads);
      const bool first = b == 0, last = b + 1 == blocks;
      for (int64_t g = m0 / kQPatternFilterGroup; g * kQPatternFilterGroup < m1; ++g)
        for (int32_t i = w.group_visits[g * blocks + b]; i < w.group_visits[g * blocks + b + 1];
             ++i) {
          const int32_t k0 = w.visits[i].k0, k1 = w.visits[i].k1;
          int32_t* out = sums + (w.visits[i].filter - m0) * sums_stride + position;
          __m512i acc[kSets][V];
          for (int v = 0; v < V; ++v) {
            acc[0][v] = first ? _mm512_setzero_si512() : _mm512_loadu_si512(out + 16 * v);
            if constexpr (kSets == 2) acc[1][v] = _mm512_setzero_si512();
          }
          int32_t k = k0;
          for (; k + 1 < k1; k += 2)
            for (int j = 0; j < 2; ++j) {
              const uint8_t* q = quads + kernels[k + j].quads_offset;
              const __m512i weights = _mm512_set1_epi32(kernels[k + j].weights);
              for (int v = 0; v < V; ++v)
                acc[j % kSets][v] =
                    _mm512_dpbusd_epi32(acc[j % kSets][v], _mm512_load_si512(q + 64 * v), weights);
            }
          if (k < k1) {
            const uint8_t* q = quads + kernels[k].quads_offset;
            const __m512i weights = _mm512_set1_epi32(kernels[k].weights);
            for (int v = 0; v < V; ++v)
              acc[0][v] = _mm512_dpbusd_epi32(acc[0][v], _mm512_load_si512(q + 64 * v), weights);
          }
          if constexpr (kSets == 2)
            for (int v = 0; v < V; ++v) acc[0][v] = _mm512_add_epi32(acc[0][v], acc[1][v]);
          if (last)
            for (int h = 0; h < V / 4; ++h) to_flat_order(acc[0] + 4 * h);
          for (int v = 0; v < V; ++v) _mm512_storeu_si512(out + 16 * v, acc[0][v]);
        }
    }
  }
}

SINTER_VNNI_TARGET void tiles_avx512(const QPatternWeights& w, const uint8_t* planes, int64_t tiles,
                                     int64_t m0, int64_t m1, int32_t* sums, int64_t sums_stride) {
  if (w.tile == 128) {
    tiles_of<8>(w, planes, tiles, m0, m1, sums, sums_stride);
  } else {
    tiles_of<4>(w, planes, tiles, m0, m1, sums, sums_stride);
  }
}

// rows[r] = the 16 ints of row r, transposed: rows[i] lane r = old rows[r] lane i.
SINTER_VNNI_TARGET inline void transpose16(__m512i (&rows)[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(rows[i], rows[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(rows[i], rows[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    rows[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    rows[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    rows[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    rows[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // rows[4g + j] lane 4L + r' holds old row 4g + r', position 4L + j.
  for (int j = 0; j < 4; ++j) {
    t[j] = _mm512_shuffle_i32x4(rows[j], rows[4 + j], 0x88);
    t[4 + j] = _mm512_shuffle_i32x4(rows[j], rows[4 + j], 0xDD);
    t[8 + j] = _mm512_shuffle_i32x4(rows[8 + j], rows[12 + j], 0x88);
    t[12 + j] = _mm512_shuffle_i32x4(rows[8 + j], rows[12 + j], 0xDD);
  }
  for (int j = 0; j < 4; ++j) {
    rows[j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0x88);
    rows[8 + j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0xDD);
    rows[4 + j] = _mm512_shuffle_i32x4(t[4 + j], t[12 + j], 0x88);
    rows[12 + j] = _mm512_shuffle_i32x4(t[4 + j], t[12 + j], 0xDD);
  }
}

SINTER_VNNI_TARGET void finish_row_avx512(const int32_t* sums, int64_t sums_stride, int64_t count,
                                          int64_t filters, const QRequant& requant,
                                          const uint8_t* residual, int64_t M, uint8_t* y) {
  const Requantizer requantizer(requant);
  const int64_t whole = filters / 16 * 16;
  for (int64_t f = 0; f < whole; f += 16) {
    const __m512i bias = _mm512_loadu_si512(requant.bias + f);
    const __m512 multiplier = _mm512_loadu_ps(requant.multiplier + f);
    for (int64_t i = 0; i < count; i += 16) {
      __m512i rows[16];
      for (int r = 0; r < 16; ++r) rows[r] = _mm512_loadu_si512(sums + (f + r) * sums_stride + i);
      transpose16(rows);
      for (int64_t p = 0; p < std::min<int64_t>(16, count - i); ++p) {
        const int64_t at = (i + p) * M + f;
        requantizer.store(
            _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(rows[p], bias)), multiplier),
            residual ? residual + at : nullptr, y + at);
      }
    }
  }
  for (int64_t i = 0; i < count; ++i)  // filters past the last whole 16
    for (int64_t m = whole; m < filters; ++m) {
      const int32_t sum = sums[m * sums_stride + i];
      const int64_t at = i * M + m;
      y[at] = residual ? requantize_value(sum, requant.bias[m], requant.multiplier[m], residual[at],
                                          requant)
                       : requantize_value(sum, requant.bias[m], requant.multiplier[m], requant);
    }
}

}  // namespace

const QPatternKernels& qpattern_kernels_avx512() {
  static constexpr QPatternKernels kernels = {to_planes_avx512, tiles_avx512, finish_row_avx512};
  return kernels;
}

}  // namespace sinter::kernels::detail
