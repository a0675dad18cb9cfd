// The avx2 tier of reduce: reduce_loops.h compiled for AVX2.
#include "kernels/reduce/reduce_loops.h"

namespace sinter::kernels::detail {

const ReduceKernels& reduce_kernels_avx2() {
  static constinit const ReduceKernels k{reduce_loops};
  return k;
}

}  // namespace sinter::kernels::detail
