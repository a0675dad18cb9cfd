// The portable tier of the convolution gradients' kernels: the channels-last packing's plain
// loops, and no tap-rows kernels (the planners then take the GEMM algorithms).
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter::detail {

const ConvTrainingKernels& conv_training_kernels_portable() {
  static constexpr ConvTrainingKernels kernels = {nullptr, nullptr, nullptr,
                                                  transpose_to_channels_last_portable,
                                                  pack_channels_last_im2col_nr16_portable};
  return kernels;
}

}  // namespace sinter::detail
