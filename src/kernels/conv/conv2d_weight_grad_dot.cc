#include "kernels/conv/conv2d_weight_grad_dot.h"

#include <algorithm>

namespace sinter {

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
