// The portable tier of the integer convolution's depthwise rows: plain loops, the same float
// sums as the vector tiers (exact, see qconv2d.h).
#include "kernels/qconv/qconv2d.h"

namespace sinter::kernels::detail {

namespace {
void convert_row(const uint8_t* x, int64_t n, int32_t zero_point, float* out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero_point);
}

void depthwise_row(const QDepthwiseRow& r) {
  for (int64_t ow = 0; ow < r.OW; ++ow)
    for (int64_t c = 0; c < r.C; ++c) {
      float sum = 0;
      for (int64_t kh = 0; kh < r.KH; ++kh) {
        if (!r.rows[kh]) continue;
        for (int64_t kw = 0; kw < r.KW; ++kw) {
          const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
          if (iw < 0 || iw >= r.W) continue;
          sum += r.rows[kh][iw * r.C + c] * r.w[(kh * r.KW + kw) * r.C + c];
        }
      }
      r.y[ow * r.C + c] = requantize_value(static_cast<int32_t>(sum), r.requant->bias[c],
                                           r.requant->multiplier[c], *r.requant);
    }
}
void direct_row(const QDirectRow& r) {
  for (int64_t ow = 0; ow < r.OW; ++ow)
    for (int64_t m = 0; m < r.M; ++m) {
      float sum = 0;
      for (int64_t kh = 0; kh < r.KH; ++kh) {
        if (!r.rows[kh]) continue;
        for (int64_t kw = 0; kw < r.KW; ++kw) {
          const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
          if (iw < 0 || iw >= r.W) continue;
          for (int64_t c = 0; c < r.C; ++c)
            sum += r.rows[kh][iw * r.C + c] * r.w[((kh * r.KW + kw) * r.C + c) * r.Mp + m];
        }
      }
      r.y[ow * r.M + m] = requantize_value(static_cast<int32_t>(sum), r.requant->bias[m],
                                           r.requant->multiplier[m], *r.requant);
    }
}
}  // namespace

const QConvKernels& qconv_kernels_portable() {
  static const QConvKernels k{convert_row, depthwise_row, direct_row};
  return k;
}

}  // namespace sinter::kernels::detail
