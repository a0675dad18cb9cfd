#include "kernels/softmax/softmax.h"

#include <algorithm>

#include "core/cpu_features.h"

namespace sinter::kernels {

namespace {
constexpr int64_t kGrain = 16 * 1024;

template <class Row, class Ref>
void rows_parallel(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool,
                   const Row& row, const Ref& ref) {
  const bool avx2 = cpu_features().has_avx2_fma();
  auto run = [&](int64_t b, int64_t e) {
    if (avx2) {
      for (int64_t r = b; r < e; ++r) row(x + r * cols, y + r * cols, cols);
    } else {
      ref(x + b * cols, y + b * cols, e - b, cols);
    }
  };
  if (pool == nullptr || pool->num_threads() == 1 || rows * cols < 2 * kGrain || rows < 2) {
    run(0, rows);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1));
  pool->parallel_range(rows, grain, [&](int64_t b, int64_t e, int) { run(b, e); });
}
}  // namespace

void softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool) {
  rows_parallel(x, y, rows, cols, pool, detail::softmax_row_avx2, softmax_reference);
}

void log_softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool) {
  rows_parallel(x, y, rows, cols, pool, detail::log_softmax_row_avx2, log_softmax_reference);
}

}  // namespace sinter::kernels
