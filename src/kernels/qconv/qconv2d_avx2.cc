// The AVX2 tier of the integer convolution's depthwise and direct rows: 8 channels a vector (a
// masked tail), the window's taps as float multiply-adds (exact, see qconv2d.h, so any order and
// fusing gives the portable sums), and the requantization of kernels/qgemm on 8 lanes.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/qconv/qconv2d.h"

namespace sinter::kernels::detail {

namespace {
void convert_row(const uint8_t* x, int64_t n, int32_t zero_point, float* out) {
  const __m256 zp = _mm256_set1_ps(static_cast<float>(zero_point));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i));
    _mm256_storeu_ps(out + i, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)), zp));
  }
  for (; i < n; ++i) out[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero_point);
}

// The first n of 8 lanes (n >= 1).
__m256i lane_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Loads of a vector of channels: all 8 lanes, or the first few (the rest zero) at a row's end.
struct WholeLanes {
  __m256 load(const float* p) const { return _mm256_loadu_ps(p); }
};
struct PartLanes {
  __m256i mask;
  __m256 load(const float* p) const { return _mm256_maskload_ps(p, mask); }
};

// requantize_value on 8 lanes (the sum is an exact integer) and the first `lanes` bytes stored.
struct Epilogue {
  __m256 lo, hi, multiplier;
  __m256i zero_point, bias;
  int64_t lanes;

  // Output channels [first, first + lanes) of q's, 1 <= lanes <= 8.
  static Epilogue of(const QRequant& q, int64_t first, int64_t lanes) {
    const __m256i m = lane_mask(lanes);
    return {_mm256_set1_ps(static_cast<float>(q.lo - q.zero_point)),
            _mm256_set1_ps(static_cast<float>(q.hi - q.zero_point)),
            _mm256_maskload_ps(q.multiplier + first, m),
            _mm256_set1_epi32(q.zero_point),
            _mm256_maskload_epi32(q.bias + first, m),
            lanes};
  }

  void store(__m256 sum, uint8_t* y) const {
    const __m256i total = _mm256_add_epi32(_mm256_cvtps_epi32(sum), bias);
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(total), multiplier);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zero_point);  // within [0, 255]
    const __m128i words =
        _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i bytes = _mm_packus_epi16(words, words);
    if (lanes == 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(y), bytes);
    } else {
      uint8_t out[16];
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
      std::memcpy(y, out, static_cast<size_t>(lanes));
    }
  }
};

// The output pixels [ow_in, ow_end) whose taps all lie inside the row.
void inner_pixels(int64_t OW, int64_t W, int64_t stride_w, int64_t pad_left, int64_t reach,
                  int64_t* ow_in, int64_t* ow_end) {
  *ow_in = 0;
  while (*ow_in < OW && *ow_in * stride_w - pad_left < 0) ++*ow_in;
  *ow_end = OW;
  while (*ow_end > *ow_in && (*ow_end - 1) * stride_w - pad_left + reach >= W) --*ow_end;
}

// One vector of 8 channels along the row: a KxK window (K = 0: any, the taps in a loop) whose
// weights stay in registers while the pixels stream past, four at a time inside the row so that
// four chains of multiply-adds overlap.
template <int K, class Lanes>
void depthwise_vector(const QDepthwiseRow& r, int64_t c, const Lanes& lanes, const Epilogue& e) {
  constexpr int kPixels = 4;
  const int64_t KH = K ? K : r.KH, KW = K ? K : r.KW;
  auto one = [&](int64_t ow) {  // a pixel with taps outside the row
    const int64_t iw0 = ow * r.stride_w - r.pad_left;
    __m256 sum = _mm256_setzero_ps();
    for (int64_t kh = 0; kh < KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t iw = iw0 + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        sum = _mm256_fmadd_ps(lanes.load(r.rows[kh] + iw * r.C + c),
                              lanes.load(r.w + (kh * KW + kw) * r.C + c), sum);
      }
    }
    e.store(sum, r.y + ow * r.C + c);
  };
  if constexpr (K == 0) {
    for (int64_t ow = 0; ow < r.OW; ++ow) one(ow);
  } else {
    __m256 w[K * K];
    for (int t = 0; t < K * K; ++t) w[t] = lanes.load(r.w + t * r.C + c);
    const int64_t sw = r.stride_w * r.C, dw = r.dilation_w * r.C;
    int64_t ow_in, ow_end;
    inner_pixels(r.OW, r.W, r.stride_w, r.pad_left, (K - 1) * r.dilation_w, &ow_in, &ow_end);
    for (int64_t ow = 0; ow < ow_in; ++ow) one(ow);
    int64_t ow = ow_in;
    for (; ow + kPixels <= ow_end; ow += kPixels) {
      __m256 sum[kPixels];
      for (int j = 0; j < kPixels; ++j) sum[j] = _mm256_setzero_ps();
      const int64_t base = (ow * r.stride_w - r.pad_left) * r.C + c;
      for (int kh = 0; kh < K; ++kh) {
        if (!r.rows[kh]) continue;
        const float* x = r.rows[kh] + base;
#pragma GCC unroll 8
        for (int kw = 0; kw < K; ++kw)
#pragma GCC unroll 4
          for (int j = 0; j < kPixels; ++j)
            sum[j] = _mm256_fmadd_ps(lanes.load(x + j * sw + kw * dw), w[kh * K + kw], sum[j]);
      }
      for (int j = 0; j < kPixels; ++j) e.store(sum[j], r.y + (ow + j) * r.C + c);
    }
    for (; ow < r.OW; ++ow) one(ow);
  }
}

template <class Lanes>
void depthwise_lanes(const QDepthwiseRow& r, int64_t c, const Lanes& lanes, const Epilogue& e) {
  if (r.KH == 3 && r.KW == 3) {
    depthwise_vector<3>(r, c, lanes, e);
  } else if (r.KH == 5 && r.KW == 5) {
    depthwise_vector<5>(r, c, lanes, e);
  } else {
    depthwise_vector<0>(r, c, lanes, e);
  }
}

void depthwise_row(const QDepthwiseRow& r) {
  for (int64_t c = 0; c < r.C; c += 8) {
    const int64_t n = std::min<int64_t>(8, r.C - c);
    const Epilogue e = Epilogue::of(*r.requant, c, n);
    if (n == 8) {
      depthwise_lanes(r, c, WholeLanes{}, e);
    } else {
      depthwise_lanes(r, c, PartLanes{lane_mask(n)}, e);
    }
  }
}

// Direct layers: the output channels as B vectors of 8 (B = ceil(M / 8); the weights' rows are
// padded to Mp, so whole loads), 8 / B pixels at a time inside the row (at most 8 sums in
// registers), each tap and input channel one broadcast per pixel times B weight vectors.
template <int B>
void direct_vectors(const QDirectRow& r) {
  constexpr int kPixels = B <= 2 ? 4 : 2;
  Epilogue e[B];
  for (int b = 0; b < B; ++b)
    e[b] = Epilogue::of(*r.requant, b * 8, std::min<int64_t>(8, r.M - b * 8));
  int64_t ow_in, ow_end;
  inner_pixels(r.OW, r.W, r.stride_w, r.pad_left, (r.KW - 1) * r.dilation_w, &ow_in, &ow_end);
  auto one = [&](int64_t ow) {  // a pixel with taps outside the row
    __m256 sum[B];
    for (int b = 0; b < B; ++b) sum[b] = _mm256_setzero_ps();
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        const float* w = r.w + (kh * r.KW + kw) * r.C * r.Mp;
        for (int64_t c = 0; c < r.C; ++c) {
          const __m256 v = _mm256_set1_ps(r.rows[kh][iw * r.C + c]);
          for (int b = 0; b < B; ++b)
            sum[b] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w + c * r.Mp + b * 8), sum[b]);
        }
      }
    }
    for (int b = 0; b < B; ++b) e[b].store(sum[b], r.y + ow * r.M + b * 8);
  };
  for (int64_t ow = 0; ow < ow_in; ++ow) one(ow);
  int64_t ow = ow_in;
  const int64_t step = r.stride_w * r.C;
  for (; ow + kPixels <= ow_end; ow += kPixels) {
    __m256 sum[kPixels][B];
    for (int j = 0; j < kPixels; ++j)
      for (int b = 0; b < B; ++b) sum[j][b] = _mm256_setzero_ps();
    const int64_t base = (ow * r.stride_w - r.pad_left) * r.C;
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const float* x = r.rows[kh] + base + kw * r.dilation_w * r.C;
        const float* w = r.w + (kh * r.KW + kw) * r.C * r.Mp;
        for (int64_t c = 0; c < r.C; ++c) {
          __m256 wv[B];
          for (int b = 0; b < B; ++b) wv[b] = _mm256_loadu_ps(w + c * r.Mp + b * 8);
#pragma GCC unroll 4
          for (int j = 0; j < kPixels; ++j) {
            const __m256 v = _mm256_set1_ps(x[j * step + c]);
            for (int b = 0; b < B; ++b) sum[j][b] = _mm256_fmadd_ps(v, wv[b], sum[j][b]);
          }
        }
      }
    }
    for (int j = 0; j < kPixels; ++j)
      for (int b = 0; b < B; ++b) e[b].store(sum[j][b], r.y + (ow + j) * r.M + b * 8);
  }
  for (; ow < r.OW; ++ow) one(ow);
}

void direct_row(const QDirectRow& r) {
  switch ((r.M + 7) / 8) {
    case 1:
      return direct_vectors<1>(r);
    case 2:
      return direct_vectors<2>(r);
    case 3:
      return direct_vectors<3>(r);
    default:
      return direct_vectors<4>(r);
  }
}
}  // namespace

const QConvKernels& qconv_kernels_avx2() {
  static const QConvKernels k{convert_row, depthwise_row, direct_row};
  return k;
}

}  // namespace sinter::kernels::detail
