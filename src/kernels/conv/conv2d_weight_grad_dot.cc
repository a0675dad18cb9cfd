#include "kernels/conv/conv2d_weight_grad_dot.h"

#include <algorithm>

namespace sinter {

TapRows plan_tap_rows(const Conv2dShape& s) {
  const int64_t sh = s.stride_h, dh = s.dilation_h, OW = s.OW();
  TapRows l;
  for (int64_t kh = 0; kh < s.KH; ++kh) l.phases.push_back(kh * dh % sh);
  std::sort(l.phases.begin(), l.phases.end());
  l.phases.erase(std::unique(l.phases.begin(), l.phases.end()), l.phases.end());
  const int64_t P = static_cast<int64_t>(l.phases.size());
  l.rows = s.OH() + (s.KH - 1) * dh / sh;
  const int64_t plane = l.rows * OW;
  l.floats = s.C / s.group * P * s.KW * plane;
  for (int64_t c = 0; c < s.C / s.group; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t p =
          std::lower_bound(l.phases.begin(), l.phases.end(), kh * dh % sh) - l.phases.begin();
      for (int64_t kw = 0; kw < s.KW; ++kw)
        l.tap_offset.push_back(((c * P + p) * s.KW + kw) * plane + kh * dh / sh * OW);
    }
  return l;
}

int64_t dot_images_per_pass(const Conv2dShape& s, const TapRows& l) {
  const int64_t P = s.OH() * s.OW();
  const int64_t wanted = (512 + P - 1) / P, fit = (128 << 10) / l.floats;
  return std::clamp<int64_t>(std::min(wanted, fit), 1, s.N);
}

DotTile dot_tile_for(const Conv2dShape& s) {
  const int64_t Mg = s.M / s.group;
  return Mg % 4 != 0 && Mg % 6 == 0 ? DotTile{6, 2} : DotTile{4, 3};
}

}  // namespace sinter
