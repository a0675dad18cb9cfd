// The Winograd transforms compiled for portable (baseline x86-64).
#include "kernels/conv/conv2d_winograd_transform.h"

namespace sinter::detail {

const WinogradKernels& winograd_kernels_portable() {
  static const WinogradKernels k{winograd_input, winograd_output};
  return k;
}

}  // namespace sinter::detail
