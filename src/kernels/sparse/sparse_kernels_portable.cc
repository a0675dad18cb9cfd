// The portable tier's sparse loops, collected.
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

const SparseKernels& sparse_kernels_portable() {
  static constexpr SparseKernels kernels = {
      csr_gemm_rows_portable,        csr_gemm_transposed_portable, csr_conv2d_tiles_portable,
      pattern_conv2d_tiles_portable, bsr_conv2d_tiles_portable,    finish_shifted_planes_portable,
      copy_padded_rows_portable};
  return kernels;
}

}  // namespace sinter::detail
