#pragma once
// A "tap rows" copy of one image's channel block for a convolution: the input pixels each tap
// (c, kh, kw) meets, in output-pixel order, lie in one contiguous run, so kernels can read them
// with plain vector loads instead of packing im2col. Rows are cut to the OW columns that kernel
// column kw reads (zeros in the padding); kernel rows share planes where the stride allows.
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

}  // namespace sinter
