#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels {

void relu_backward_reference(const float* dy, const float* y, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (y[i] > 0.0f) {
      dx[i] = dy[i];
    } else {
      dx[i] = 0.0f;
    }
  }
}

}  // namespace sinter::kernels
