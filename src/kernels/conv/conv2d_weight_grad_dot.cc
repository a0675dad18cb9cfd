#include "kernels/conv/conv2d_weight_grad_dot.h"

#include <algorithm>

namespace sinter {

int64_t shifted_rows_floats(const Conv2dShape& s) {
  return s.C / s.group * s.KW * (s.H + s.pad_top + s.pad_bottom) * s.OW();
}

std::vector<int64_t> shifted_rows_tap_offsets(const Conv2dShape& s) {
  const int64_t HP = s.H + s.pad_top + s.pad_bottom, OW = s.OW();
  std::vector<int64_t> off;
  for (int64_t c = 0; c < s.C / s.group; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw)
        off.push_back(((c * s.KW + kw) * HP + kh * s.dilation_h) * OW);
  return off;
}

void copy_to_shifted_rows(const Conv2dShape& s, const float* x, float* planes) {
  const int64_t Cg = s.C / s.group, HP = s.H + s.pad_top + s.pad_bottom, OW = s.OW();
  const int64_t sw = s.stride_w;
  float* dst = planes;
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      // Output column ow reads input column ow*sw + iw0; [lo, hi) lands inside the row.
      const int64_t iw0 = kw * s.dilation_w - s.pad_left;
      const int64_t lo = std::min(OW, iw0 < 0 ? (-iw0 + sw - 1) / sw : 0);
      const int64_t hi =
          s.W - 1 - iw0 < 0 ? lo : std::max(lo, std::min(OW, (s.W - 1 - iw0) / sw + 1));
      for (int64_t r = 0; r < HP; ++r, dst += OW) {
        const int64_t ih = r - s.pad_top;
        if (ih < 0 || ih >= s.H) {
          std::fill(dst, dst + OW, 0.0f);
          continue;
        }
        const float* src = x + (c * s.H + ih) * s.W;
        std::fill(dst, dst + lo, 0.0f);
        if (sw == 1) {
          std::copy(src + lo + iw0, src + hi + iw0, dst + lo);
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * sw + iw0];
        }
        std::fill(dst + hi, dst + OW, 0.0f);
      }
    }
}

int64_t dot_images_per_pass(const Conv2dShape& s) {
  const int64_t P = s.OH() * s.OW();
  const int64_t wanted = (512 + P - 1) / P, fit = (128 << 10) / shifted_rows_floats(s);
  return std::clamp<int64_t>(std::min(wanted, fit), 1, s.N);
}

DotTile dot_tile_for(const Conv2dShape& s) {
  const int64_t Mg = s.M / s.group;
  return Mg % 4 != 0 && Mg % 6 == 0 ? DotTile{6, 2} : DotTile{4, 3};
}

}  // namespace sinter
