#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels {

namespace {
// 64 KiB of each operand per chunk, as the other element-wise kernels split.
constexpr int64_t kGrain = 16 * 1024;

// Both loads unconditional and a select rather than a branch, so that -O3 turns the loop into
// compare-and-mask vectors (a load under the condition would keep it scalar).
void relu_backward_range(const float* dy, const float* y, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i];
    dx[i] = y[i] > 0.0f ? g : 0.0f;
  }
}
}  // namespace

void relu_backward(const float* dy, const float* y, float* dx, int64_t n, ThreadPool* pool) {
  if (pool == nullptr || pool->num_threads() == 1 || n < 2 * kGrain) {
    relu_backward_range(dy, y, dx, n);
    return;
  }
  pool->parallel_range(n, kGrain, [&](int64_t b, int64_t e, int) {
    relu_backward_range(dy + b, y + b, dx + b, e - b);
  });
}

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
