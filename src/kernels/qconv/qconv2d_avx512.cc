// The AVX-512 tier of the integer convolution's depthwise rows: 16 channels a vector (a masked
// tail), the window's taps as float multiply-adds (exact, see qconv2d.h), and the requantization
// of kernels/qgemm on 16 lanes.
#include <immintrin.h>

#include <type_traits>

#include "kernels/qconv/qconv2d.h"

namespace sinter::kernels::detail {

namespace {
void convert_row(const uint8_t* x, int64_t n, int32_t zero_point, float* out) {
  const __m512 zp = _mm512_set1_ps(static_cast<float>(zero_point));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    _mm512_storeu_ps(out + i, _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), zp));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m128i b = _mm_maskz_loadu_epi8(m, x + i);
    _mm512_mask_storeu_ps(out + i, m,
                          _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), zp));
  }
}

// requantize_value on 16 lanes (the sum is an exact integer) and the 16 bytes stored. Where every
// |bias| <= 2^24 the bias is added as a float: both terms exact, the sum rounds once, as the
// integer total's conversion does (and it cannot wrap).
struct DepthwiseEpilogue {
  __m512 lo, hi, multiplier, float_bias;
  __m512i zero_point, bias;
  __mmask16 m;
  bool whole, small_bias;

  void set_bias(__m512i b) {
    bias = b;
    float_bias = _mm512_cvtepi32_ps(b);
    // |b| as unsigned: INT_MIN's is 2^31.
    small_bias = _mm512_cmpgt_epu32_mask(_mm512_abs_epi32(b), _mm512_set1_epi32(1 << 24)) == 0;
  }

  void store(__m512 sum, uint8_t* y) const {
    __m512 v;
    if (small_bias) {
      v = _mm512_mul_ps(_mm512_add_ps(sum, float_bias), multiplier);
    } else {
      const __m512i total = _mm512_add_epi32(_mm512_cvtps_epi32(sum), bias);
      v = _mm512_mul_ps(_mm512_cvtepi32_ps(total), multiplier);
    }
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    const __m128i out = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zero_point));
    if (whole) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y), out);
    } else {
      _mm_mask_storeu_epi8(y, m, out);
    }
  }
};

// 16 channels of a row at x, as floats; Whole: all 16 there, read without a mask.
template <bool Whole>
inline __m512 load_row(__mmask16 m, const float* x) {
  return Whole ? _mm512_loadu_ps(x) : _mm512_maskz_loadu_ps(m, x);
}
template <bool Whole>
inline __m512 load_row(__mmask16 m, const uint8_t* x) {
  const __m128i bytes =
      Whole ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(x)) : _mm_maskz_loadu_epi8(m, x);
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
}

// sum less the zero point's share (u8 rows; nothing for converted ones): zero_point times the
// weights of the taps that were summed.
template <class T>
inline __m512 without_zero_point(__m512 zero_point, __m512 sum, __m512 weights) {
  if constexpr (std::is_same_v<T, float>) return sum;
  return _mm512_fnmadd_ps(zero_point, weights, sum);
}

// One block of 16 channels along the row: a KHxKW window (known at compile time for the common
// ones) keeps its weights in registers while the pixels stream past, four at a time inside the
// row so that four chains of multiply-adds overlap.
template <int K, class T, bool Whole>
void depthwise_block(const QDepthwiseRowOf<T>& r, int64_t c, const DepthwiseEpilogue& e) {
  constexpr int kPixels = 4;
  const __mmask16 m = e.m;
  const __m512 zero_point = _mm512_set1_ps(static_cast<float>(r.zero_point));
  __m512 w[K * K];
  for (int t = 0; t < K * K; ++t) w[t] = _mm512_maskz_loadu_ps(m, r.w + t * r.C + c);
  __m512 row_weights = _mm512_setzero_ps();  // of the taps of the rows inside the image
  for (int kh = 0; kh < K; ++kh)
    if (r.rows[kh])
      for (int kw = 0; kw < K; ++kw) row_weights = _mm512_add_ps(row_weights, w[kh * K + kw]);
  const int64_t sw = r.stride_w * r.C, dw = r.dilation_w * r.C;
  const int64_t reach = (K - 1) * r.dilation_w;
  int64_t ow_in = 0;
  while (ow_in < r.OW && ow_in * r.stride_w - r.pad_left < 0) ++ow_in;
  int64_t ow_end = r.OW;
  while (ow_end > ow_in && (ow_end - 1) * r.stride_w - r.pad_left + reach >= r.W) --ow_end;
  auto one = [&](int64_t ow) {  // a pixel with taps outside the row
    const int64_t iw0 = ow * r.stride_w - r.pad_left;
    __m512 sum = _mm512_setzero_ps(), weights = _mm512_setzero_ps();
    for (int kh = 0; kh < K; ++kh) {
      if (!r.rows[kh]) continue;
      for (int kw = 0; kw < K; ++kw) {
        const int64_t iw = iw0 + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        sum = _mm512_fmadd_ps(load_row<Whole>(m, r.rows[kh] + iw * r.C + c), w[kh * K + kw], sum);
        weights = _mm512_add_ps(weights, w[kh * K + kw]);
      }
    }
    e.store(without_zero_point<T>(zero_point, sum, weights), r.y + ow * r.C + c);
  };
  for (int64_t ow = 0; ow < ow_in; ++ow) one(ow);
  int64_t ow = ow_in;
  for (; ow + kPixels <= ow_end; ow += kPixels) {
    __m512 sum[kPixels];
    for (int j = 0; j < kPixels; ++j) sum[j] = _mm512_setzero_ps();
    const int64_t base = (ow * r.stride_w - r.pad_left) * r.C + c;
    for (int kh = 0; kh < K; ++kh) {
      if (!r.rows[kh]) continue;
      const T* x = r.rows[kh] + base;
#pragma GCC unroll 8
      for (int kw = 0; kw < K; ++kw)
#pragma GCC unroll 4
        for (int j = 0; j < kPixels; ++j)
          sum[j] =
              _mm512_fmadd_ps(load_row<Whole>(m, x + j * sw + kw * dw), w[kh * K + kw], sum[j]);
    }
    for (int j = 0; j < kPixels; ++j)
      e.store(without_zero_point<T>(zero_point, sum[j], row_weights), r.y + (ow + j) * r.C + c);
  }
  for (; ow < r.OW; ++ow) one(ow);
}

// Any other window: the taps in a loop.
template <class T>
void depthwise_block_any(const QDepthwiseRowOf<T>& r, int64_t c, const DepthwiseEpilogue& e) {
  for (int64_t ow = 0; ow < r.OW; ++ow) {
    const int64_t iw0 = ow * r.stride_w - r.pad_left;
    __m512 sum = _mm512_setzero_ps(), weights = _mm512_setzero_ps();
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const int64_t iw = iw0 + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        const __m512 wv = _mm512_maskz_loadu_ps(e.m, r.w + (kh * r.KW + kw) * r.C + c);
        sum = _mm512_fmadd_ps(load_row<false>(e.m, r.rows[kh] + iw * r.C + c), wv, sum);
        weights = _mm512_add_ps(weights, wv);
      }
    }
    e.store(without_zero_point<T>(_mm512_set1_ps(static_cast<float>(r.zero_point)), sum, weights),
            r.y + ow * r.C + c);
  }
}

template <class T>
void depthwise_row(const QDepthwiseRowOf<T>& r) {
  const QRequant& q = *r.requant;
  for (int64_t c = 0; c < r.C; c += 16) {
    DepthwiseEpilogue e;
    e.whole = r.C - c >= 16;
    e.m = e.whole ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (r.C - c)) - 1);
    e.lo = _mm512_set1_ps(static_cast<float>(q.lo - q.zero_point));
    e.hi = _mm512_set1_ps(static_cast<float>(q.hi - q.zero_point));
    e.zero_point = _mm512_set1_epi32(q.zero_point);
    e.set_bias(_mm512_maskz_loadu_epi32(e.m, q.bias + c));
    e.multiplier = _mm512_maskz_loadu_ps(e.m, q.multiplier + c);
    if (r.KH == 3 && r.KW == 3) {
      e.whole ? depthwise_block<3, T, true>(r, c, e) : depthwise_block<3, T, false>(r, c, e);
    } else if (r.KH == 5 && r.KW == 5) {
      e.whole ? depthwise_block<5, T, true>(r, c, e) : depthwise_block<5, T, false>(r, c, e);
    } else {
      depthwise_block_any(r, c, e);
    }
  }
}
// Direct layers: B blocks of 16 output channels, four pixels at a time inside the row, each tap
// and input channel one broadcast per pixel times B weight vectors.
template <int B>
void direct_blocks(const QDirectRow& r) {
  constexpr int kPixels = 4;
  const QRequant& q = *r.requant;
  DepthwiseEpilogue e[B];
  for (int b = 0; b < B; ++b) {
    const int64_t left = r.M - b * 16;
    e[b].whole = left >= 16;
    e[b].m = e[b].whole ? __mmask16{0xffff} : static_cast<__mmask16>((1u << left) - 1);
    e[b].lo = _mm512_set1_ps(static_cast<float>(q.lo - q.zero_point));
    e[b].hi = _mm512_set1_ps(static_cast<float>(q.hi - q.zero_point));
    e[b].zero_point = _mm512_set1_epi32(q.zero_point);
    e[b].set_bias(_mm512_maskz_loadu_epi32(e[b].m, q.bias + b * 16));
    e[b].multiplier = _mm512_maskz_loadu_ps(e[b].m, q.multiplier + b * 16);
  }
  const int64_t reach = (r.KW - 1) * r.dilation_w;
  int64_t ow_in = 0;
  while (ow_in < r.OW && ow_in * r.stride_w - r.pad_left < 0) ++ow_in;
  int64_t ow_end = r.OW;
  while (ow_end > ow_in && (ow_end - 1) * r.stride_w - r.pad_left + reach >= r.W) --ow_end;
  auto one = [&](int64_t ow) {  // a pixel with taps outside the row
    __m512 sum[B];
    for (int b = 0; b < B; ++b) sum[b] = _mm512_setzero_ps();
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        const float* w = r.w + (kh * r.KW + kw) * r.C * r.Mp;
        for (int64_t c = 0; c < r.C; ++c) {
          const __m512 v = _mm512_set1_ps(r.rows[kh][iw * r.C + c]);
          for (int b = 0; b < B; ++b)
            sum[b] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w + c * r.Mp + b * 16), sum[b]);
        }
      }
    }
    for (int b = 0; b < B; ++b) e[b].store(sum[b], r.y + ow * r.M + b * 16);
  };
  for (int64_t ow = 0; ow < ow_in; ++ow) one(ow);
  int64_t ow = ow_in;
  const int64_t step = r.stride_w * r.C;
  for (; ow + kPixels <= ow_end; ow += kPixels) {
    __m512 sum[kPixels][B];
    for (int j = 0; j < kPixels; ++j)
      for (int b = 0; b < B; ++b) sum[j][b] = _mm512_setzero_ps();
    const int64_t base = (ow * r.stride_w - r.pad_left) * r.C;
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      if (!r.rows[kh]) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const float* x = r.rows[kh] + base + kw * r.dilation_w * r.C;
        const float* w = r.w + (kh * r.KW + kw) * r.C * r.Mp;
        for (int64_t c = 0; c < r.C; ++c) {
          __m512 wv[B];
          for (int b = 0; b < B; ++b) wv[b] = _mm512_loadu_ps(w + c * r.Mp + b * 16);
#pragma GCC unroll 4
          for (int j = 0; j < kPixels; ++j) {
            const __m512 v = _mm512_set1_ps(x[j * step + c]);
            for (int b = 0; b < B; ++b) sum[j][b] = _mm512_fmadd_ps(v, wv[b], sum[j][b]);
          }
        }
      }
    }
    for (int j = 0; j < kPixels; ++j)
      for (int b = 0; b < B; ++b) e[b].store(sum[j][b], r.y + (ow + j) * r.M + b * 16);
  }
  for (; ow < r.OW; ++ow) one(ow);
}

void direct_row(const QDirectRow& r) {
  if (r.Mp <= 16) {
    direct_blocks<1>(r);
  } else {
    direct_blocks<2>(r);
  }
}
}  // namespace

const QConvKernels& qconv_kernels_avx512() {
  static const QConvKernels k{convert_row, depthwise_row<float>, direct_row,
                              depthwise_row<uint8_t>};
  return k;
}

}  // namespace sinter::kernels::detail
