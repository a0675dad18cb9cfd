// Portable depthwise convolution for any kernel, stride, padding, dilation and multiplier. Each
// output row is accumulated in a row buffer one tap at a time, over the output columns whose
// input lies inside the row (computed once per tap), so the inner loop has no bounds checks and
// vectorizes at stride 1. Every output adds its taps in the reference's order.
#include <algorithm>
#include <vector>

#include "kernels/depthwise/depthwise_conv2d.h"

namespace sinter::kernels::detail {

namespace {

bool supports_any(const DepthwiseConv2dParams&) { return true; }

void conv_planes(const DepthwiseConv2dParams& p, const float* x, const float* w, const float* bias,
                 const float* residual, float* y, int64_t plane_begin, int64_t plane_end) {
  const int64_t oh = p.out_h(), ow = p.out_w(), oc_count = p.out_channels();
  const int64_t sw = p.stride_w;
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(std::max<int64_t>(ow, 1)));
  float* acc = row.data();
  for (int64_t plane = plane_begin; plane < plane_end; ++plane) {
    const int64_t oc = plane % oc_count, ic = oc / p.multiplier, n = plane / oc_count;
    const float* xp = x + (n * p.channels + ic) * p.in_h * p.in_w;
    const float* wp = w + oc * p.kernel_h * p.kernel_w;
    const float b = bias ? bias[oc] : 0.0f;
    for (int64_t oy = 0; oy < oh; ++oy) {
      std::fill(acc, acc + ow, 0.0f);
      for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
        const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        const float* xr = xp + iy * p.in_w;
        for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
          // Output column ox reads input column ox * sw + off; [lo, hi) lands inside the row.
          const int64_t off = kx * p.dilation_w - p.pad_left;
          const int64_t lo = std::min(ow, off >= 0 ? 0 : (-off + sw - 1) / sw);
          const int64_t hi = p.in_w - 1 - off < 0 ? 0 : std::min(ow, (p.in_w - 1 - off) / sw + 1);
          const float wt = wp[ky * p.kernel_w + kx];
          if (sw == 1) {
            for (int64_t ox = lo; ox < hi; ++ox) acc[ox] += xr[ox + off] * wt;
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) acc[ox] += xr[ox * sw + off] * wt;
          }
        }
      }
      const int64_t o = (plane * oh + oy) * ow;
      for (int64_t ox = 0; ox < ow; ++ox) {
        float v = acc[ox];
        if (bias) v += b;
        if (residual) v += residual[o + ox];
        y[o + ox] = p.activation.apply(v);
      }
    }
  }
}

}  // namespace

const DepthwiseKernels& depthwise_kernels_portable() {
  static constexpr DepthwiseKernels kernels = {supports_any, conv_planes};
  return kernels;
}

}  // namespace sinter::kernels::detail
