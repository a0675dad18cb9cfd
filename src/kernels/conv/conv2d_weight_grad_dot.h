#pragma once
// The weight gradient as long dot products: dW[m][c][kh][kw] sums dY[m] times the input pixels
// that tap (c, kh, kw) meets, over all output pixels. A "tap rows" copy of the input lays those
// pixels out, in output-pixel order, as one contiguous run per tap: rows cut to the OW columns
// that kernel column kw reads (zeros in the padding), one plane per (c, kh, kw), except at
// stride_h 1 where the kernel rows of a channel are shifts of one plane of all padded rows (KH
// times less to copy). So a register tile of dY rows x taps streams both operands with plain
// vector loads (no transposes, no packing) and reduces only once per few images; this wins
// where im2col GEMMs spend most of their time packing (few channels, strided convs).
#include <cstdint>
#include <vector>

#include "kernels/conv/conv2d.h"

namespace sinter {

// Where the taps' runs live in one image's copy: planes [C/group][phases][KW] of [rows][OW].
// Plane (c, phase p, kw) row r holds input row r*stride_h + p - pad_top at the OW columns that
// kernel column kw reads, zeros in the padding. Kernel row kh reads phase (kh*dilation_h) %
// stride_h, (kh*dilation_h) / stride_h rows down: at stride 1 all kernel rows of a channel are
// shifts of one plane, at stride 2 two planes serve three kernel rows.
struct TapRows {
  std::vector<int64_t> phases;  // the row phases some kernel row reads, increasing
  int64_t rows = 0;
  int64_t floats = 0;               // of one image's copy
  std::vector<int64_t> tap_offset;  // per tap in W's (c, kh, kw) order: where its run starts
};
TapRows plan_tap_rows(const Conv2dShape& s);
// Fills one image's copy from x (the image's channel block, NCHW). AVX2.
void copy_to_tap_rows_avx2(const Conv2dShape& s, const TapRows& l, const float* x, float* planes);

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
