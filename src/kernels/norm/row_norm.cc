// Dispatch for row normalization: the active tier's loops, rows split over the pool.
#include "kernels/norm/row_norm.h"

#include <algorithm>

namespace sinter::kernels {

const IsaTables<RowNormKernels>& row_norm_kernels() {
  static const IsaTables<RowNormKernels> tables = {&detail::row_norm_kernels_portable(),
                                                   &detail::row_norm_kernels_avx2(),
                                                   &detail::row_norm_kernels_avx512()};
  return tables;
}

namespace {
constexpr int64_t kGrain = 16 * 1024;  // elements a task reads, at least
}  // namespace

void normalize_rows(const RowNormParams& p, const float* x, const float* scale, const float* bias,
                    float* y, float* mean, float* inv_std, ThreadPool* pool) {
  const auto run = row_norm_kernels().active().normalize_rows;
  if (pool == nullptr || pool->num_threads() == 1 || p.rows * p.cols < 2 * kGrain) {
    run(p, x, scale, bias, y, mean, inv_std, 0, p.rows);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(p.cols, 1));
  pool->parallel_range(
      p.rows, grain,
      [&](int64_t b, int64_t e, int) { run(p, x, scale, bias, y, mean, inv_std, b, e); }, 4);
}

}  // namespace sinter::kernels
