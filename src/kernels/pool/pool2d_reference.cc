#include <cmath>

#include "core/error.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

int64_t pool_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin,
                      int64_t pad_end, int64_t dilation, bool ceil_mode) {
  const int64_t span = (kernel - 1) * dilation + 1;
  const int64_t room = in + pad_begin + pad_end - span;
  if (room < 0) return 0;
  int64_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

int64_t Pool2dParams::out_h() const {
  return pool_out_size(in_h, kernel_h, stride_h, pad_top, pad_bottom, dilation_h, ceil_mode);
}
int64_t Pool2dParams::out_w() const {
  return pool_out_size(in_w, kernel_w, stride_w, pad_left, pad_right, dilation_w, ceil_mode);
}

void max_pool2d_reference(const Pool2dParams& p, const float* x, float* y) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  for (int64_t c = 0; c < p.planes(); ++c) {
    const float* xp = x + c * p.in_plane_stride();
    float* yp = y + c * p.out_plane_stride();
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float m = -INFINITY;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= p.in_w) continue;
            float v = xp[iy * p.in_w + ix];
            if (v > m || v != v) m = v;  // once m is NaN nothing replaces it
          }
        }
        yp[oy * ow + ox] = m;
      }
    }
  }
}

void avg_pool2d_reference(const Pool2dParams& p, const float* x, float* y) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  for (int64_t c = 0; c < p.planes(); ++c) {
    const float* xp = x + c * p.in_plane_stride();
    float* yp = y + c * p.out_plane_stride();
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float sum = 0.0f;
        int64_t count = 0;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
          int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          bool in_y = iy >= 0 && iy < p.in_h;
          bool pad_y = iy >= -p.pad_top && iy < p.in_h + p.pad_bottom;
          for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
            int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            bool in_x = ix >= 0 && ix < p.in_w;
            bool pad_x = ix >= -p.pad_left && ix < p.in_w + p.pad_right;
            if (in_y && in_x) sum += xp[iy * p.in_w + ix];
            if (p.count_include_pad ? (pad_y && pad_x) : (in_y && in_x)) ++count;
          }
        }
        yp[oy * ow + ox] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  }
}

void global_avg_pool_reference(const float* x, float* y, int64_t planes, int64_t plane_size) {
  for (int64_t c = 0; c < planes; ++c) {
    double sum = 0.0;
    for (int64_t i = 0; i < plane_size; ++i) sum += x[c * plane_size + i];
    y[c] = static_cast<float>(sum / static_cast<double>(plane_size));
  }
}

void global_max_pool_reference(const float* x, float* y, int64_t planes, int64_t plane_size) {
  for (int64_t c = 0; c < planes; ++c) {
    float m = -INFINITY;
    for (int64_t i = 0; i < plane_size; ++i) {
      float v = x[c * plane_size + i];
      if (v > m || v != v) m = v;
    }
    y[c] = m;
  }
}

}  // namespace sinter::kernels
