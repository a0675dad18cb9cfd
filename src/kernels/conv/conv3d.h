#pragma once
// 3-D convolution (video): y [N, M, OD, OH, OW] from x [N, C, D, H, W] and w [M, C/group, KD, KH,
// KW]. Each depth tap kd of the window is a 2-D convolution of the input planes it reads (depth
// od stride - pad + kd dilation for every output depth od) with that tap's weights, so the 3-D
// layer runs as KD planned Conv2d over a batch of N OD planes, each tap's result added to the
// last's: every 2-D algorithm (Winograd, plane GEMM, ...) serves the 3-D layer too.
#include <vector>

#include "kernels/conv/conv2d.h"

namespace sinter {

class ThreadPool;

struct Conv3dShape {
  Conv2dShape plane;  // N, C, M, group and the H/W window; its N is the batch
  int64_t D = 1, KD = 1, stride_d = 1, pad_front = 0, pad_back = 0, dilation_d = 1;

  int64_t OD() const {
    return (D + pad_front + pad_back - dilation_d * (KD - 1) - 1) / stride_d + 1;
  }
  // Throws InputError when the shape is inconsistent (as Conv2dShape::validate, and in depth).
  void validate() const;
};

// The direct loops, double accumulation: the oracle. residual is null or shaped like y.
void conv3d_reference(const Conv3dShape& s, const float* x, const float* w, const float* bias,
                      const float* residual, const Activation& act, float* y);

class Conv3d {
 public:
  // Copies and packs the weights (and bias; may be null).
  Conv3d(const Conv3dShape& s, const float* w, const float* bias, const Activation& act);
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;
  const Conv3dShape& shape() const { return s_; }

 private:
  Conv3dShape s_;
  std::vector<Conv2d> taps_;  // per depth tap, over N OD planes; the first adds the bias
  Activation act_;
};

}  // namespace sinter
