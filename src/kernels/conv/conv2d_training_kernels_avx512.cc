// The AVX-512 tier of the convolution gradients' kernels, collected: AVX-512 tap-rows dot and
// convolution tiles; the copies and the channels-last packing are the AVX2 ones.
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {

const ConvTrainingKernels& conv_training_kernels_avx512() {
  static constexpr ConvTrainingKernels kernels = {
      copy_to_tap_rows_avx2, weight_grad_dot_avx512, tap_rows_conv_avx512,
      transpose_to_channels_last_avx2, pack_channels_last_im2col_nr16_avx2};
  return kernels;
}

}  // namespace sinter::detail
