// The portable tier of reduce: reduce_loops.h compiled for x86-64 baseline (SSE2).
#include "kernels/reduce/reduce_loops.h"

namespace sinter::kernels::detail {

const ReduceKernels& reduce_kernels_portable() {
  static constinit const ReduceKernels k{reduce_loops};
  return k;
}

}  // namespace sinter::kernels::detail
