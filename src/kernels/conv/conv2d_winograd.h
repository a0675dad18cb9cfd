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
#include "kernels/isa_tables.h"

namespace sinter {

// Where the GEMMs' operands and results of one block of tiles live.
struct WinogradBlock {
  const Conv2dShape* s;
  int64_t tiles_w;  // tiles per tile row
  int64_t t0, tb;   // the block: flattened tiles [t0, t0 + tb)
  int64_t npad;     // GEMM N rounded up to nr (row stride of results, packed-B width)
  int nr;           // packed-B sliver width
  int64_t kb;       // GEMM K block depth (packed-B layout)
  float* v;         // packed B of the 36 GEMMs: [36][C x npad]
  const float* m;   // GEMM results: [36][M][npad]
};

// The input and output transforms of one tier: conv2d_winograd_transform.h compiled with that
// tier's flags (conv2d_winograd_<tier>.cc).
struct WinogradKernels {
  void (*input)(const WinogradBlock& b, const float* x, int64_t c0, int64_t c1);
  void (*output)(const WinogradBlock& b, int64_t m0, int64_t m1, const float* bias,
                 const float* residual, const Activation& act, float* y);
};
const kernels::IsaTables<WinogradKernels>& winograd_kernels();

namespace detail {
const WinogradKernels& winograd_kernels_portable();
const WinogradKernels& winograd_kernels_avx2();
const WinogradKernels& winograd_kernels_avx512();
}  // namespace detail

class Conv2dWinograd {
 public:
  static bool supports(const Conv2dShape& s);
  Conv2dWinograd(const Conv2dShape& s, const float* weights);
  // residual may be y itself: each output is read from it before it is written (DWM adds its
  // pieces up that way).
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;

 private:
  Conv2dShape s_;
  std::vector<PackedMatrixA> u_;  // 36 transformed weight matrices [M, C]
};

}  // namespace sinter
