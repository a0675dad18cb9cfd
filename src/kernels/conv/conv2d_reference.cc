// The reference convolution: seven plain loops, double accumulation, no cleverness.
#include "core/error.h"
#include "kernels/conv/conv2d.h"

namespace sinter {

void Conv2dShape::validate() const {
  const bool ok = N > 0 && C > 0 && H > 0 && W > 0 && M > 0 && KH > 0 && KW > 0 && stride_h > 0 &&
                  stride_w > 0 && dilation_h > 0 && dilation_w > 0 && pad_top >= 0 &&
                  pad_left >= 0 && pad_bottom >= 0 && pad_right >= 0 && group > 0 &&
                  C % group == 0 && M % group == 0 && OH() > 0 && OW() > 0;
  if (!ok) {
    throw InputError(cat("conv2d: invalid shape N=", N, " C=", C, " H=", H, " W=", W, " M=", M,
                         " kernel=", KH, "x", KW, " group=", group));
  }
}

void conv2d_reference(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                      const float* residual, const Activation& act, float* y) {
  s.validate();
  const int64_t OH = s.OH(), OW = s.OW(), Cg = s.C / s.group, Mg = s.M / s.group;
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t m = 0; m < s.M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bias ? bias[m] : 0.0;
          for (int64_t c = 0; c < Cg; ++c) {
            for (int64_t kh = 0; kh < s.KH; ++kh) {
              const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
              if (ih < 0 || ih >= s.H) continue;
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (iw < 0 || iw >= s.W) continue;
                const float xv = x[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw];
                const float wv = w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
                acc += static_cast<double>(xv) * wv;
              }
            }
          }
          const int64_t o = ((n * s.M + m) * OH + oh) * OW + ow;
          float v = static_cast<float>(acc);
          if (residual) v += residual[o];
          y[o] = act.apply(v);
        }
      }
    }
  }
}

}  // namespace sinter
