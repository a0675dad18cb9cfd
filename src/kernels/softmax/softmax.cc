// Dispatch for softmax: the active ISA tier's row loops, rows split over the pool.
#include "kernels/softmax/softmax.h"

#include <algorithm>

namespace sinter::kernels {

namespace {
constexpr int64_t kGrain = 16 * 1024;

using RowsFn = void (*)(const float*, float*, int64_t, int64_t);

void rows_parallel(RowsFn fn, const float* x, float* y, int64_t rows, int64_t cols,
                   ThreadPool* pool) {
  auto run = [&](int64_t b, int64_t e) { fn(x + b * cols, y + b * cols, e - b, cols); };
  if (pool == nullptr || pool->num_threads() == 1 || rows * cols < 2 * kGrain || rows < 2) {
    run(0, rows);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1));
  pool->parallel_range(rows, grain, [&](int64_t b, int64_t e, int) { run(b, e); });
}
}  // namespace

const IsaTables<SoftmaxKernels>& softmax_kernels() {
  static const IsaTables<SoftmaxKernels> tables{&detail::softmax_kernels_portable(),
                                                &detail::softmax_kernels_avx2(),
                                                &detail::softmax_kernels_avx512()};
  return tables;
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool) {
  rows_parallel(softmax_kernels().active().softmax, x, y, rows, cols, pool);
}

void log_softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool) {
  rows_parallel(softmax_kernels().active().log_softmax, x, y, rows, cols, pool);
}

}  // namespace sinter::kernels
