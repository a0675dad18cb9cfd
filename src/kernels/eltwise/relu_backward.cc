// Dispatch for relu_backward: the active tier's serial body, split over the pool.
#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels {

namespace {
// 64 KiB of each operand per chunk, as the other element-wise kernels split.
constexpr int64_t kGrain = 16 * 1024;
}  // namespace

const IsaTables<ReluBackwardKernels>& relu_backward_kernels() {
  static const IsaTables<ReluBackwardKernels> tables{&detail::relu_backward_kernels_portable(),
                                                     &detail::relu_backward_kernels_avx2(),
                                                     &detail::relu_backward_kernels_avx512()};
  return tables;
}

void relu_backward(const float* dy, const float* y, float* dx, int64_t n, ThreadPool* pool) {
  const ReluBackwardKernels& k = relu_backward_kernels().active();
  if (pool == nullptr || pool->num_threads() == 1 || n < 2 * kGrain) {
    k.relu_backward(dy, y, dx, n);
    return;
  }
  pool->parallel_range(
      n, kGrain, [&](int64_t b, int64_t e, int) { k.relu_backward(dy + b, y + b, dx + b, e - b); });
}

}  // namespace sinter::kernels
