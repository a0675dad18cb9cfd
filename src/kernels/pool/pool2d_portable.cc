// Portable 2-D pooling for any stride, dilation and padding: each window is clipped to the input
// before it is walked, so the work is the outputs times the covered input, however large the
// kernel or the padding (a 2^31-wide window over a 5-pixel row costs 5 reads, not 2^31). Sums and
// maxima visit the taps in the reference's order, so the results are identical to it. Global
// pools: float partial sums in lanes the compiler can vectorize, flushed into double.
#include <algorithm>
#include <cmath>

#include "kernels/pool/pool2d.h"
#include "kernels/pool/pool_window.h"

namespace sinter::kernels::detail {

namespace {

// Stores window(plane, top, left, rows, cols, oy, ox) at every output of planes [plane_begin,
// plane_end): (top, left) is where tap (0, 0) would read (negative in the padding), rows and cols
// the taps inside the input. Only those are read, and a tap's offset is formed from its row and
// column inside the plane, so no intermediate leaves the plane's range.
template <class Window>
void pool_planes(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                 int64_t plane_end, const Window& window) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  const PoolAxis ay = pool_rows(p), ax = pool_cols(p);
  for (int64_t c = plane_begin; c < plane_end; ++c) {
    const float* xp = x + c * p.in_plane_stride();
    float* yp = y + c * p.out_plane_stride();
    for (int64_t oy = 0; oy < oh; ++oy) {
      const TapRange ry = ay.inside(oy);
      for (int64_t ox = 0; ox < ow; ++ox)
        yp[oy * ow + ox] = window(xp, ay.start(oy), ax.start(ox), ry, ax.inside(ox), oy, ox);
    }
  }
}

bool supports_any(const Pool2dParams&) { return true; }

void max_pool2d_portable(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                         int64_t plane_end) {
  pool_planes(
      p, x, y, plane_begin, plane_end,
      [&](const float* xp, int64_t top, int64_t left, TapRange ry, TapRange rx, int64_t, int64_t) {
        float m = -INFINITY;
        for (int64_t ky = ry.begin; ky < ry.end; ++ky) {
          const float* row = xp + (top + ky * p.dilation_h) * p.in_w;
          for (int64_t kx = rx.begin; kx < rx.end; ++kx) {
            const float v = row[left + kx * p.dilation_w];
            if (v > m || v != v) m = v;  // once m is NaN nothing replaces it
          }
        }
        return m;
      });
}

void avg_pool2d_portable(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                         int64_t plane_end) {
  const PoolAxis ay = pool_rows(p), ax = pool_cols(p);
  pool_planes(p, x, y, plane_begin, plane_end,
              [&](const float* xp, int64_t top, int64_t left, TapRange ry, TapRange rx, int64_t oy,
                  int64_t ox) {
                float sum = 0.0f;
                for (int64_t ky = ry.begin; ky < ry.end; ++ky) {
                  const float* row = xp + (top + ky * p.dilation_h) * p.in_w;
                  for (int64_t kx = rx.begin; kx < rx.end; ++kx)
                    sum += row[left + kx * p.dilation_w];
                }
                const int64_t count = p.count_include_pad
                                          ? ay.padded_count(oy) * ax.padded_count(ox)
                                          : (ry.end - ry.begin) * (rx.end - rx.begin);
                return count > 0 ? sum / static_cast<float>(count) : 0.0f;
              });
}

constexpr int64_t kLanes = 8, kBlock = 1024;

void global_avg_pool_portable(const float* x, float* y, int64_t planes, int64_t n) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    double total = 0;
    for (int64_t b = 0; b < n; b += kBlock) {
      const int64_t e = std::min(n, b + kBlock);
      float lane[kLanes] = {};
      int64_t i = b;
      for (; i + kLanes <= e; i += kLanes)
        for (int64_t j = 0; j < kLanes; ++j) lane[j] += xp[i + j];
      for (int64_t j = 0; i < e; ++i, ++j) lane[j] += xp[i];
      for (float v : lane) total += v;
    }
    y[c] = static_cast<float>(total / static_cast<double>(n));
  }
}

void global_max_pool_portable(const float* x, float* y, int64_t planes, int64_t n) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* xp = x + c * n;
    float m = -INFINITY;
    bool nan = false;
    for (int64_t i = 0; i < n; ++i) {
      m = xp[i] > m ? xp[i] : m;
      nan |= xp[i] != xp[i];
    }
    y[c] = nan ? NAN : m;
  }
}

}  // namespace

const PoolKernels& pool_kernels_portable() {
  static constexpr PoolKernels kernels = {supports_any, max_pool2d_portable, avg_pool2d_portable,
                                          global_avg_pool_portable, global_max_pool_portable};
  return kernels;
}

}  // namespace sinter::kernels::detail
