// The portable tier of relu_backward: a loop the compiler turns into compare-and-mask vectors.
#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels::detail {

namespace {
// Both loads unconditional and a select rather than a branch, so that -O3 turns the loop into
// compare-and-mask vectors (a load under the condition would keep it scalar).
void relu_backward_portable(const float* dy, const float* y, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i];
    dx[i] = y[i] > 0.0f ? g : 0.0f;
  }
}
}  // namespace

const ReluBackwardKernels& relu_backward_kernels_portable() {
  static constinit const ReluBackwardKernels k{relu_backward_portable};
  return k;
}

}  // namespace sinter::kernels::detail
