// The avx512 tier of reduce: reduce_loops.h compiled for AVX-512.
#include "kernels/reduce/reduce_loops.h"

namespace sinter::kernels::detail {

const ReduceKernels& reduce_kernels_avx512() {
  static constinit const ReduceKernels k{reduce_loops};
  return k;
}

}  // namespace sinter::kernels::detail
