// The Winograd transforms compiled for AVX-512 (the AVX2 intrinsics, with the compiler free to
// widen the element-wise passes).
#include "kernels/conv/conv2d_winograd_transform.h"

namespace sinter::detail {

const WinogradKernels& winograd_kernels_avx512() {
  static const WinogradKernels k{winograd_input, winograd_output};
  return k;
}

}  // namespace sinter::detail
