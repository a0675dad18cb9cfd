#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter {

const kernels::IsaTables<ConvTrainingKernels>& conv_training_kernels() {
  static const kernels::IsaTables<ConvTrainingKernels> tables = {
      &detail::conv_training_kernels_portable(), &detail::conv_training_kernels_avx2(),
      &detail::conv_training_kernels_avx512()};
  return tables;
}

}  // namespace sinter
