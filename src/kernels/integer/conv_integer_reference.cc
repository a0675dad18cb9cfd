#include "kernels/integer/conv_integer_reference.h"

namespace sinter::kernels {

template <class TX, class TW>
void conv_integer_reference(const Conv2dShape& s, const TX* x, int32_t x_zero_point, const TW* w,
                            const int32_t* w_zero_point, const int32_t* bias, int64_t* y) {
  s.validate();
  const int64_t OH = s.OH(), OW = s.OW(), Cg = s.C / s.group, Mg = s.M / s.group;
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t m = 0; m < s.M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t acc = bias ? bias[m] : 0;
          for (int64_t c = 0; c < Cg; ++c) {
            for (int64_t kh = 0; kh < s.KH; ++kh) {
              const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
              if (ih < 0 || ih >= s.H) continue;
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (iw < 0 || iw >= s.W) continue;
                const int64_t xv = x[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw];
                const int64_t wv = w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
                acc += (xv - x_zero_point) * (wv - w_zero_point[m]);
              }
            }
          }
          y[((n * s.M + m) * OH + oh) * OW + ow] = acc;
        }
      }
    }
  }
}

template void conv_integer_reference(const Conv2dShape&, const uint8_t*, int32_t, const uint8_t*,
                                     const int32_t*, const int32_t*, int64_t*);
template void conv_integer_reference(const Conv2dShape&, const uint8_t*, int32_t, const int8_t*,
                                     const int32_t*, const int32_t*, int64_t*);
template void conv_integer_reference(const Conv2dShape&, const int8_t*, int32_t, const uint8_t*,
                                     const int32_t*, const int32_t*, int64_t*);
template void conv_integer_reference(const Conv2dShape&, const int8_t*, int32_t, const int8_t*,
                                     const int32_t*, const int32_t*, int64_t*);

}  // namespace sinter::kernels
