// The plain-loop twins of the convolution gradients, what the fast paths are tested against.
#include <algorithm>

#include "kernels/conv/conv2d_backward.h"

namespace sinter {

void conv2d_backward_data_reference(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, OH = s.OH(), OW = s.OW();
  std::fill(dx, dx + s.N * s.C * s.H * s.W, 0.0f);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t m = 0; m < s.M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t kh = 0; kh < s.KH; ++kh)
          for (int64_t kw = 0; kw < s.KW; ++kw) {
            const float wv = w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                dx[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw] +=
                    wv * dy[((n * s.M + m) * OH + oh) * OW + ow];
              }
          }
    }
}

void conv2d_backward_weight_reference(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, OH = s.OH(), OW = s.OW();
  for (int64_t m = 0; m < s.M; ++m) {
    const int64_t g = m / Mg;
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          double sum = 0.0;
          for (int64_t n = 0; n < s.N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                sum += static_cast<double>(x[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw]) *
                       dy[((n * s.M + m) * OH + oh) * OW + ow];
              }
          dw[((m * Cg + c) * s.KH + kh) * s.KW + kw] = static_cast<float>(sum);
        }
  }
}

}  // namespace sinter
