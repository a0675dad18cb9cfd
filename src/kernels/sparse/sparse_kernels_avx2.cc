// The AVX2 tier's sparse loops, collected.
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

const SparseKernels& sparse_kernels_avx2() {
  static constexpr SparseKernels kernels = {csr_gemm_rows_portable,   csr_gemm_transposed_avx2,
                                            csr_conv2d_tiles_avx2,    pattern_conv2d_tiles_avx2,
                                            bsr_conv2d_tiles_avx2,    finish_shifted_planes_avx2,
                                            copy_padded_rows_portable};
  return kernels;
}

}  // namespace sinter::detail
