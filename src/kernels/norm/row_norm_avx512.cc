// The avx512 tier of row normalization: row_norm_loops.h compiled for AVX-512.
#include "kernels/norm/row_norm_loops.h"

namespace sinter::kernels::detail {

const RowNormKernels& row_norm_kernels_avx512() {
  static constinit const RowNormKernels k{row_norm_loops};
  return k;
}

}  // namespace sinter::kernels::detail
