// The AVX-512 tier's sparse loops, collected: AVX-512 tile loops for the CSR, pattern and BSR
// convolutions and the shifted planes' input copy; the CSR GEMM on transposed A and the epilogue
// are the AVX2 ones, the gathering GEMM loop the portable one.
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

const SparseKernels& sparse_kernels_avx512() {
  static constexpr SparseKernels kernels = {csr_gemm_rows_portable,  csr_gemm_transposed_avx2,
                                            csr_conv2d_tiles_avx512, pattern_conv2d_tiles_avx512,
                                            bsr_conv2d_tiles_avx512, finish_shifted_planes_avx2,
                                            copy_padded_rows_avx512};
  return kernels;
}

}  // namespace sinter::detail
