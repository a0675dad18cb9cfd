#pragma once
// The weight gradient as long dot products: dW[m][c][kh][kw] sums dY[m] times the input pixels
// that tap (c, kh, kw) meets, over all output pixels. At stride_h 1 those pixels, taken in
// output-pixel order, are one contiguous run of a "shifted rows" copy of channel c: padded rows
// cut to the OW columns that kernel column kw reads. So a register tile of dY rows x taps
// streams both operands with plain vector loads (no transposes, no packing) and reduces only
// once per image; this wins where im2col GEMMs spend most of their time packing (few channels).
#include <cstdint>
#include <vector>

#include "kernels/conv/conv2d.h"

namespace sinter {

// Planes [C/group][KW][HP][OW] of one image's channel block; HP = H + pad_top + pad_bottom.
int64_t shifted_rows_floats(const Conv2dShape& s);
// Per tap in W's (c, kh, kw) order: where its run starts in the planes (plane (c, kw), kh times
// the dilation rows down).
std::vector<int64_t> shifted_rows_tap_offsets(const Conv2dShape& s);
// Fills every plane, zeros where the kernel column reads padding.
void copy_to_shifted_rows(const Conv2dShape& s, const float* x, float* planes);

// Images whose runs a tile sums before its one reduction: enough pixels to amortize it, few
// enough that their copies stay in L2.
int64_t dot_images_per_pass(const Conv2dShape& s);

// Register tile shape of the AVX2 dot kernel: rows of dY x taps.
struct DotTile {
  int rows, taps;
};
// The tile that wastes least on M/group rows (4 x 3, or 6 x 2 when that divides them).
DotTile dot_tile_for(const Conv2dShape& s);

// partial[m * ld + t] += sum over pixels k of dy[m * OH*OW + k] * planes[tap_offset[t] + k], for
// the M/group rows of dy (one group of `images` consecutive images: dy steps M*OH*OW floats
// and planes shifted_rows_floats(s) from one image to the next) and taps [t0, t1). AVX2 + FMA.
void weight_grad_dot_avx2(const Conv2dShape& s, DotTile tile, const float* dy, const float* planes,
                          int64_t images, const int64_t* tap_offset, int64_t t0, int64_t t1,
                          float* partial, int64_t ld);

}  // namespace sinter
