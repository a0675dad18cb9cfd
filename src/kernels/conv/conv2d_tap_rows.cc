#include "kernels/conv/conv2d_tap_rows.h"

#include <algorithm>

namespace sinter {

TapRows plan_tap_rows(const Conv2dShape& s) {
  const int64_t sh = s.stride_h, dh = s.dilation_h, OW = s.OW();
  TapRows l;
  for (int64_t kh = 0; kh < s.KH; ++kh) l.phases.push_back(kh * dh % sh);
  std::sort(l.phases.begin(), l.phases.end());
  l.phases.erase(std::unique(l.phases.begin(), l.phases.end()), l.phases.end());
  const int64_t phases = static_cast<int64_t>(l.phases.size());
  l.rows = s.OH() + (s.KH - 1) * dh / sh;
  const int64_t plane = l.rows * OW;
  l.floats = s.C / s.group * phases * s.KW * plane;
  for (int64_t c = 0; c < s.C / s.group; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t p =
          std::lower_bound(l.phases.begin(), l.phases.end(), kh * dh % sh) - l.phases.begin();
      for (int64_t kw = 0; kw < s.KW; ++kw)
        l.tap_offset.push_back(((c * phases + p) * s.KW + kw) * plane + kh * dh / sh * OW);
    }
  return l;
}

}  // namespace sinter
