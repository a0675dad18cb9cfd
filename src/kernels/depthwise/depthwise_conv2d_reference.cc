#include "kernels/depthwise/depthwise_conv2d.h"

namespace sinter::kernels {

int64_t DepthwiseConv2dParams::out_h() const {
  return (in_h + pad_top + pad_bottom - (kernel_h - 1) * dilation_h - 1) / stride_h + 1;
}
int64_t DepthwiseConv2dParams::out_w() const {
  return (in_w + pad_left + pad_right - (kernel_w - 1) * dilation_w - 1) / stride_w + 1;
}

namespace {

void reference_planes(const DepthwiseConv2dParams& p, const float* x, const float* w,
                      const float* bias, const float* residual, float* y, int64_t plane_begin,
                      int64_t plane_end) {
  const int64_t oh = p.out_h(), ow = p.out_w(), oc_count = p.out_channels();
  for (int64_t plane = plane_begin; plane < plane_end; ++plane) {
    const int64_t n = plane / oc_count, oc = plane % oc_count, ic = oc / p.multiplier;
    const float* xp = x + (n * p.channels + ic) * p.in_h * p.in_w;
    const float* wp = w + oc * p.kernel_h * p.kernel_w;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float acc = 0.0f;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= p.in_w) continue;
            acc += xp[iy * p.in_w + ix] * wp[ky * p.kernel_w + kx];
          }
        }
        const int64_t o = plane * oh * ow + oy * ow + ox;
        if (bias) acc += bias[oc];
        if (residual) acc += residual[o];
        y[o] = p.activation.apply(acc);
      }
    }
  }
}

}  // namespace

void depthwise_conv2d_reference(const DepthwiseConv2dParams& p, const float* x, const float* w,
                                const float* bias, const float* residual, float* y) {
  reference_planes(p, x, w, bias, residual, y, 0, p.batch * p.out_channels());
}

}  // namespace sinter::kernels
