// The AVX2 tier of the convolution gradients' kernels, collected.
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {

const ConvTrainingKernels& conv_training_kernels_avx2() {
  static constexpr ConvTrainingKernels kernels = {
      copy_to_tap_rows_avx2, weight_grad_dot_avx2, tap_rows_conv_avx2,
      transpose_to_channels_last_avx2, pack_channels_last_im2col_nr16_avx2};
  return kernels;
}

}  // namespace sinter::detail
