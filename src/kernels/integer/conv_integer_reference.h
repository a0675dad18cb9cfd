#pragma once
// The integer convolution of ConvInteger and QLinearConv as plain loops, exact:
//   y[n][m][oh][ow] = bias[m] + sum over c, kh, kw of
//                     (x[n][g*Cg + c][ih][iw] - x_zero_point) * (w[m][c][kh][kw] - w_zero_point[m])
// Padding reads as x_zero_point, the quantized zero, so it adds nothing. The sums are int64:
// every term is at most 255 * 255 in magnitude, so no model reaches overflow, and an int32 output
// (ConvInteger) is the sum modulo 2^32, which is what ONNX allows a 32-bit accumulator to give.
#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace sinter::kernels {

// s: the 2-D problem (1-D as H = 1); w [M, C/group, KH, KW]; w_zero_point and bias (may be
// null) hold M values; y [N, M, OH, OW]. TX and TW are int8_t or uint8_t.
template <class TX, class TW>
void conv_integer_reference(const Conv2dShape& s, const TX* x, int32_t x_zero_point, const TW* w,
                            const int32_t* w_zero_point, const int32_t* bias, int64_t* y);

}  // namespace sinter::kernels
