// The avx2 tier of row normalization: row_norm_loops.h compiled for AVX2.
#include "kernels/norm/row_norm_loops.h"

namespace sinter::kernels::detail {

const RowNormKernels& row_norm_kernels_avx2() {
  static constinit const RowNormKernels k{row_norm_loops};
  return k;
}

}  // namespace sinter::kernels::detail
