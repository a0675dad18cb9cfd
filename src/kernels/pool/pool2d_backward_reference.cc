#include <algorithm>
#include <cmath>

#include "kernels/pool/pool2d_backward.h"

namespace sinter::kernels {

void max_pool2d_backward_reference(const Pool2dParams& p, const float* x, const float* dy,
                                   float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w(), in = p.in_h * p.in_w;
  for (int64_t c = 0; c < p.planes(); ++c) {
    const float* xp = x + c * in;
    const float* gp = dy + c * oh * ow;
    float* dp = dx + c * in;
    std::fill(dp, dp + in, 0.0f);
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t best = -1;
        float m = -INFINITY;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= p.in_w) continue;
            const float v = xp[iy * p.in_w + ix];
            if (best < 0 || v > m || (v != v && m == m)) {
              m = v;
              best = iy * p.in_w + ix;
            }
          }
        }
        if (best >= 0) dp[best] += gp[oy * ow + ox];
      }
  }
}

void avg_pool2d_backward_reference(const Pool2dParams& p, const float* dy, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w(), in = p.in_h * p.in_w;
  for (int64_t c = 0; c < p.planes(); ++c) {
    const float* gp = dy + c * oh * ow;
    float* dp = dx + c * in;
    std::fill(dp, dp + in, 0.0f);
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        // The divisor exactly as the forward pass counts it.
        int64_t count = 0;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          const bool in_y = iy >= 0 && iy < p.in_h;
          const bool pad_y = iy >= -p.pad_top && iy < p.in_h + p.pad_bottom;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            const bool in_x = ix >= 0 && ix < p.in_w;
            const bool pad_x = ix >= -p.pad_left && ix < p.in_w + p.pad_right;
            if (p.count_include_pad ? (pad_y && pad_x) : (in_y && in_x)) ++count;
          }
        }
        if (count == 0) continue;
        const float share = gp[oy * ow + ox] / static_cast<float>(count);
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix >= 0 && ix < p.in_w) dp[iy * p.in_w + ix] += share;
          }
        }
      }
  }
}

}  // namespace sinter::kernels
