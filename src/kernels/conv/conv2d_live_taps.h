#pragma once
// A window whose outer rows or columns read only padding at every output position (a dilation
// as large as the map: DeepLab's ASPP branches at dilation 24 and 36 on a 14x14 map leave only
// the centre tap) gives the same output as the window cut to its live part, with the pads
// reduced by what was cut. The cut convolution skips the products with padding zeros and the
// padded planes they need (38x the pixels at dilation 36 on 14x14).
#include <optional>
#include <vector>

#include "kernels/conv/conv2d.h"

namespace sinter {

struct LiveTaps {
  Conv2dShape shape;
  std::vector<float> weights;  // [M, C/group, KH', KW'] of the live taps
};

// The cut window for weights w [M, C/group, KH, KW], or nullopt when every row and column of
// taps reads the input somewhere (or none does, or the cut would need a negative pad).
std::optional<LiveTaps> cut_dead_taps(const Conv2dShape& s, const float* w);

}  // namespace sinter
