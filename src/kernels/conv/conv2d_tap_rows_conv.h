#pragma once
// A convolution that reads its input in place from a tap-rows copy (conv2d_tap_rows.h; the
// kernels are ConvTrainingKernels::tap_rows_conv, conv2d_training_kernels.h):
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

}  // namespace sinter
