// 3-D pooling by definition: every tap of every window, in depth, row, column order.
#include <cmath>

#include "kernels/pool/pool3d.h"

namespace sinter::kernels {

namespace {

// Where tap k of output o lands along one axis, and whether it is inside the input or inside the
// explicit padding.
struct Axis {
  int64_t in, stride, pad_begin, pad_end, dilation;
  int64_t at(int64_t o, int64_t k) const { return o * stride - pad_begin + k * dilation; }
  bool inside(int64_t i) const { return i >= 0 && i < in; }
  bool in_padding(int64_t i) const { return i >= -pad_begin && i < in + pad_end; }
};

// Stores window(for_each_tap) at every output in order; for_each_tap(tap) calls tap(x, padded)
// for each tap of that output's window: x points at the input value, null outside the input.
template <class Window>
void windows(const Pool3dParams& p, const float* x, float* y, const Window& window) {
  const Pool2dParams& q = p.plane;
  const Axis ad{p.in_d, p.stride_d, p.pad_front, p.pad_back, p.dilation_d};
  const Axis ah{q.in_h, q.stride_h, q.pad_top, q.pad_bottom, q.dilation_h};
  const Axis aw{q.in_w, q.stride_w, q.pad_left, q.pad_right, q.dilation_w};
  const int64_t od = p.out_d(), oh = q.out_h(), ow = q.out_w();
  for (int64_t c = 0; c < q.planes(); ++c) {
    const float* xp = x + c * p.in_d * q.in_h * q.in_w;
    for (int64_t z = 0; z < od; ++z)
      for (int64_t r = 0; r < oh; ++r)
        for (int64_t s = 0; s < ow; ++s)
          *y++ = window([&](auto&& tap) {
            for (int64_t kd = 0; kd < p.kernel_d; ++kd)
              for (int64_t kh = 0; kh < q.kernel_h; ++kh)
                for (int64_t kw = 0; kw < q.kernel_w; ++kw) {
                  const int64_t d = ad.at(z, kd), h = ah.at(r, kh), w = aw.at(s, kw);
                  const bool inside = ad.inside(d) && ah.inside(h) && aw.inside(w);
                  const bool padded = ad.in_padding(d) && ah.in_padding(h) && aw.in_padding(w);
                  tap(inside ? &xp[(d * q.in_h + h) * q.in_w + w] : nullptr, padded);
                }
          });
  }
}

}  // namespace

void max_pool3d_reference(const Pool3dParams& p, const float* x, float* y) {
  windows(p, x, y, [](const auto& for_each_tap) {
    float m = -INFINITY;
    for_each_tap([&](const float* v, bool) {
      if (v && (*v > m || *v != *v)) m = *v;  // once m is NaN nothing replaces it
    });
    return m;
  });
}

void avg_pool3d_reference(const Pool3dParams& p, const float* x, float* y) {
  const bool include_pad = p.plane.count_include_pad;
  windows(p, x, y, [include_pad](const auto& for_each_tap) {
    float sum = 0.0f;
    int64_t count = 0;
    for_each_tap([&](const float* v, bool padded) {
      if (v) sum += *v;
      if (include_pad ? padded : v != nullptr) ++count;
    });
    return count > 0 ? sum / static_cast<float>(count) : 0.0f;
  });
}

}  // namespace sinter::kernels
