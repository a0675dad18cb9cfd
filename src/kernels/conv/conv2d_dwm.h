#pragma once
// DWM (decomposable Winograd method): a convolution with a window larger than 3x3, or a stride
// of 2, as a sum of 3x3 stride-1 convolutions, each run on Winograd F(4x4, 3x3)
// (kernels/conv/conv2d_winograd.h).
//
// Stride: a stride-2 convolution is the sum over the (row parity p, column parity q) phases of
// stride-1 convolutions of the phase's sub-image (rows p, p + 2, ... and columns q, q + 2, ... of
// the zero-padded input) with the phase's sub-kernel w[2i + p][2j + q]: 7x7 becomes 4x4, 4x3, 3x4
// and 3x3 sub-kernels, 5x5 3x3, 3x2, 2x3 and 2x2. At stride 1 the one phase is the whole kernel.
//
// Pieces: each (sub-)kernel, zero-extended to multiples of 3, is cut into 3x3 pieces; piece (a, b)
// is a 3x3 convolution without padding of the phase's sub-image seen from row 3a and column 3b,
// and the pieces' sums add up to the convolution. A 5x5 stride-1 layer takes 4 pieces, 9
// multiplies of Winograd's 2.25 each per output and input channel against 25, a 7x7 one 9
// pieces, 20.25 against 49; at stride 2 a 7x7 takes 9 pieces (4 + 2 + 2 + 1), 5x5 4 and 3x3 4
// (9 multiplies against 9: nothing saved). The pieces accumulate into y through Winograd's
// residual input; the first adds the caller's residual, the last the bias and the activation.
//
// Error: each piece carries Winograd F(4x4, 3x3)'s rounding (its transforms scale values by up to
// about 10 before the channel sums), so the result differs from the direct convolution by at most
// pieces x that: tested within 4e-4 x pieces x max |y| x sqrt(C KH KW) of conv2d_reference
// (Conv2d.DwmMatchesReference and DwmStride2MatchesReference in
// tests/kernels/conv2d_conv2d_test.cc).
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"

namespace sinter {

class ThreadPool;
class Conv2dWinograd;

class Conv2dDwm {
 public:
  // Stride 1 or 2 in each dimension, no dilation, ungrouped, a window of at most 9 in either
  // dimension and, in one of them, over 3 at stride 1 (3x3 runs on Winograd directly) or at
  // least 3 at stride 2, an output of at least one pixel.
  static bool supports(const Conv2dShape& s);
  // How many 3x3 pieces the shape's kernel is cut into.
  static int64_t pieces(const Conv2dShape& s);
  // Whether Conv2d::choose should run the shape on DWM: stride 2 both ways, a piece standing for
  // at least 6 of the window's taps (5x5, 6x6: not 3x3, 4x4 or 7x7), at least 128 input and 64
  // output channels, and 16 Winograd tiles per piece. Elsewhere DWM is left to a tuner.
  static bool pays(const Conv2dShape& s);

  Conv2dDwm(const Conv2dShape& s, const float* weights);
  ~Conv2dDwm();
  // y = act(conv(x, w) + bias + residual); bias and residual may be null.
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;

 private:
  // A piece reads its window from the input every stride-th row and column from (top, left),
  // which may lie in the padding.
  struct Piece {
    int64_t top, left;
    std::unique_ptr<Conv2dWinograd> conv;
  };

  Conv2dShape s_;
  Conv2dShape piece_shape_;  // the 3x3 convolution one piece runs: input OH + 2 x OW + 2
  std::vector<Piece> pieces_;
};

}  // namespace sinter
