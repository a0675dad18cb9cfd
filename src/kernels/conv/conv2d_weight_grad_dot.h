#pragma once
// The weight gradient as long dot products: dW[m][c][kh][kw] sums dY[m] times the input pixels
// that tap (c, kh, kw) meets, over all output pixels, each a contiguous run of the input's tap
// rows copy (conv2d_tap_rows.h). So a register tile of dY rows x taps streams both operands with
// plain vector loads (no transposes, no packing) and reduces only once per few images; this wins
// where im2col GEMMs spend most of their time packing (few channels or taps) and on large planes.
#include <cstdint>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_tap_rows.h"

namespace sinter {

// Images whose runs a tile sums before its one reduction: enough pixels to amortize it, few
// enough that their copies stay in L2.
int64_t dot_images_per_pass(const Conv2dShape& s, const TapRows& l);

// Register tile shape of the dot kernels (conv2d_training_kernels.h): rows of dY x taps.
struct DotTile {
  int rows, taps;
};
// The tile that wastes least on M/group rows (4 x 3, or 6 x 2 when that divides them).
DotTile dot_tile_for(const Conv2dShape& s);

}  // namespace sinter
