#pragma once
// The direct convolution with the max pool after it fused in (ResNet's and SqueezeNet's stems:
// conv, activation, 3x3/2 max pool). Unfused, the convolution writes a 3 MB map that leaves the
// caches and the pool reads it back from memory. Here each task computes the convolution rows its
// band of pooled rows reads into a buffer in its own core's cache and pools them from there; the
// rows a band shares with the next (window minus stride) are carried over, not recomputed.
#include <cstdint>

#include "kernels/conv/conv2d_direct.h"
#include "kernels/pool/pool2d.h"

namespace sinter {

class Conv2dDirectMaxPool {
 public:
  // A convolution Conv2dDirect runs, and a max pool over its whole output (batch, channels and
  // input extent equal to the convolution's output) with dilation 1, whose band of convolution
  // rows fits a cache-sized buffer (a window far taller than its stride would not).
  static bool supports(const Conv2dShape& s, const kernels::Pool2dParams& p);
  Conv2dDirectMaxPool(const Conv2dShape& s, const float* weights, const kernels::Pool2dParams& p);
  // y: [N, M, pooled rows, pooled columns].
  void run(const float* x, float* y, const float* bias, const Activation& act,
           ThreadPool* threads) const;

 private:
  // Pooled rows [p0, p1) of one image.
  void run_rows(const float* x, float* y, const float* bias, const Activation& act, int64_t p0,
                int64_t p1) const;

  Conv2dDirect conv_;
  kernels::Pool2dParams max_pool_;
};

}  // namespace sinter
