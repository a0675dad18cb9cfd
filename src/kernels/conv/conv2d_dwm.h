#pragma once
// DWM (decomposable Winograd method) for stride-1 convolutions with windows larger than 3x3:
// the KH x KW kernel, zero-extended to multiples of 3, is cut into ceil(KH/3) x ceil(KW/3) pieces
// of 3x3; piece (a, b) is a 3x3 convolution without padding of the zero-padded input seen from
// row 3a and column 3b, and the pieces' sums add up to the convolution. Each piece runs on
// Winograd F(4x4, 3x3) (kernels/conv/conv2d_winograd.h): a 5x5 layer takes 4 pieces, 9 multiplies
// of Winograd's 2.25 each per output and input channel against 25, a 7x7 one 9 pieces, 20.25
// against 49. The pieces accumulate into y through Winograd's residual input; the last adds the
// bias and applies the activation.
//
// Error: each piece carries Winograd F(4x4, 3x3)'s rounding (its transforms scale values by up to
// about 10 before the channel sums), so the result differs from the direct convolution by at most
// pieces x that: tested within 4e-4 x pieces x max |y| x sqrt(C KH KW) of conv2d_reference
// (Conv2d.DwmMatchesReference in tests/kernels/conv2d_conv2d_test.cc).
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
  // Stride 1, no dilation, ungrouped, a window of 4 to 9 in either dimension (3x3 runs on
  // Winograd directly), an output of at least one pixel.
  static bool supports(const Conv2dShape& s);

  Conv2dDwm(const Conv2dShape& s, const float* weights);
  ~Conv2dDwm();
  // y = act(conv(x, w) + bias + residual); bias and residual may be null.
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;

  int64_t pieces() const { return static_cast<int64_t>(pieces_.size()); }

 private:
  Conv2dShape s_;
  Conv2dShape piece_shape_;  // the 3x3 convolution one piece runs: input OH + 2 x OW + 2
  int64_t pieces_w_ = 0;     // pieces across
  std::vector<std::unique_ptr<Conv2dWinograd>> pieces_;
};

}  // namespace sinter
