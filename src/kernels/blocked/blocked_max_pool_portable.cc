// The portable tier of the blocked max pool: the reference's loop on 16 lanes.
#include <cmath>

#include "kernels/blocked/blocked_max_pool.h"

namespace sinter::kernels::detail {

namespace {
void max_pool_row(const Pool2dParams& p, const float* x, int64_t oh, float* y) {
  constexpr int kB = static_cast<int>(kChannelBlock);
  const int64_t OW = p.out_w();
  for (int64_t ow = 0; ow < OW; ++ow) {
    float m[kB];
    std::fill(m, m + kB, -INFINITY);
    for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      if (ih < 0 || ih >= p.in_h) continue;
      for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
        const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
        if (iw < 0 || iw >= p.in_w) continue;
        const float* v = x + (ih * p.in_w + iw) * kB;
        for (int l = 0; l < kB; ++l)
          if (v[l] > m[l] || v[l] != v[l]) m[l] = v[l];  // once m is NaN nothing replaces it
      }
    }
    std::copy(m, m + kB, y + ow * kB);
  }
}
}  // namespace

const BlockedPoolKernels& blocked_pool_kernels_portable() {
  static const BlockedPoolKernels k{max_pool_row};
  return k;
}

}  // namespace sinter::kernels::detail
