#pragma once
// Winograd F(4x4, 3x3) for 3x3 stride-1 undilated ungrouped convolution: each 6x6 input tile
// becomes 36 transformed values, the channel reduction is 36 independent GEMMs (one per
// transformed position, 4x fewer multiplies than direct), and a 4x4 output tile comes back
// through the output transform, which also applies bias, residual and activation.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/gemm/sgemm.h"

namespace sinter {

class Conv2dWinograd {
 public:
  static bool supports(const Conv2dShape& s);
  Conv2dWinograd(const Conv2dShape& s, const float* weights);
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;

 private:
  Conv2dShape s_;
  std::vector<PackedMatrixA> u_;  // 36 transformed weight matrices [M, C]
};

}  // namespace sinter
