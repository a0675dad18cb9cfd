// The Winograd transforms compiled for AVX2 + FMA.
#include "kernels/conv/conv2d_winograd_transform.h"

namespace sinter {

void winograd_input_avx2(const WinogradBlock& b, const float* x, int64_t c0, int64_t c1) {
  winograd_input(b, x, c0, c1);
}

void winograd_output_avx2(const WinogradBlock& b, int64_t m0, int64_t m1, const float* bias,
                          const float* residual, const Activation& act, float* y) {
  winograd_output(b, m0, m1, bias, residual, act, y);
}

}  // namespace sinter
