// The portable tier of row normalization: row_norm_loops.h compiled for x86-64 baseline (SSE2).
#include "kernels/norm/row_norm_loops.h"

namespace sinter::kernels::detail {

const RowNormKernels& row_norm_kernels_portable() {
  static constinit const RowNormKernels k{row_norm_loops};
  return k;
}

}  // namespace sinter::kernels::detail
