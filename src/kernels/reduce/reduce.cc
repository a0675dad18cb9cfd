// Dispatch for reduce: the active ISA tier's kernel.
#include "kernels/reduce/reduce.h"

namespace sinter::kernels {

const IsaTables<ReduceKernels>& reduce_kernels() {
  static const IsaTables<ReduceKernels> tables{&detail::reduce_kernels_portable(),
                                               &detail::reduce_kernels_avx2(),
                                               &detail::reduce_kernels_avx512()};
  return tables;
}

void reduce(ReduceOp op, const float* x, const Shape& shape, const std::vector<bool>& reduced,
            float* y, ThreadPool* pool) {
  reduce_kernels().active().reduce(op, x, shape, reduced, y, pool);
}

}  // namespace sinter::kernels
