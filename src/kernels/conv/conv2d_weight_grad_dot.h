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

// Register tile shape of the AVX2 dot kernel: rows of dY x taps.
struct DotTile {
  int rows, taps;
};
// The tile that wastes least on M/group rows (4 x 3, or 6 x 2 when that divides them).
DotTile dot_tile_for(const Conv2dShape& s);

// partial[m * ld + t] += sum over pixels k of dy[m * OH*OW + k] * planes[tap_offset[t] + k], for
// the M/group rows of dy (one group of `images` consecutive images: dy steps M*OH*OW floats
// and planes l.floats from one image to the next) and taps [t0, t1). AVX2 + FMA.
void weight_grad_dot_avx2(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
                          const float* planes, int64_t images, int64_t t0, int64_t t1,
                          float* partial, int64_t ld);

}  // namespace sinter
