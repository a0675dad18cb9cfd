// The Winograd transforms compiled for AVX2 + FMA.
#include "kernels/conv/conv2d_winograd_transform.h"

namespace sinter::detail {

const WinogradKernels& winograd_kernels_avx2() {
  static const WinogradKernels k{winograd_input, winograd_output};
  return k;
}

}  // namespace sinter::detail
