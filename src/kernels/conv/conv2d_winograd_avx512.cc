// The Winograd transforms compiled for AVX-512: the element-wise passes across rows in 16 lanes,
// the row passes in the AVX2 8-tile transposes.
#include "kernels/conv/conv2d_winograd_transform.h"

namespace sinter::detail {

const WinogradKernels& winograd_kernels_avx512() {
  static const WinogradKernels k{winograd_input, winograd_output};
  return k;
}

}  // namespace sinter::detail
