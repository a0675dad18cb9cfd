#pragma once
// A convolution that reads its input in place from a tap-rows copy (conv2d_tap_rows.h):
// y[c][p] = sum over taps t of w[c][t] * run_t[p], in register tiles of 6 output channels x 16
// pixels with the weights broadcast from 6-wide slivers. With no im2col to pack, it suits few
// channels per group, where an implicit GEMM spends its time packing. sinter runs the input
// gradient of a stride-1 convolution (its transposed convolution) on it.
#include <cstdint>
#include <vector>

#include "kernels/conv/conv2d_tap_rows.h"

namespace sinter {

// rows x taps weights (row stride taps) as slivers [ceil(rows/6)][taps][6], zero past rows.
std::vector<float> pack_tap_rows_conv_weights(int64_t rows, int64_t taps, const float* w);

// y[c * ldy + p] = sum_t w(c, t) * planes[l.tap_offset[t] + p] for c < rows and p < pixels, with
// w packed by pack_tap_rows_conv_weights. The planes must stay readable 16 floats past the copy
// (the last pixel block reads whole vectors). AVX2 + FMA.
void tap_rows_conv_avx2(const float* packed_w, int64_t rows, const TapRows& l, const float* planes,
                        int64_t pixels, float* y, int64_t ldy);

}  // namespace sinter
