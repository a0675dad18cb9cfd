#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

const kernels::IsaTables<SparseKernels>& sparse_kernels() {
  static const kernels::IsaTables<SparseKernels> tables = {&detail::sparse_kernels_portable(),
                                                           &detail::sparse_kernels_avx2(),
                                                           &detail::sparse_kernels_avx512()};
  return tables;
}

}  // namespace sinter
