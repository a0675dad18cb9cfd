// Dispatch for pooling: each tier's table (pool2d_portable.cc, pool2d_avx2.cc, pool2d_avx512.cc),
// the best one at or below active_isa() that runs the shape (the portable one runs any dilation,
// stride or padding), split over planes.
#include "kernels/pool/pool2d.h"

#include <algorithm>

namespace sinter::kernels {

const IsaTables<PoolKernels>& pool_kernels() {
  static const IsaTables<PoolKernels> tables = {&detail::pool_kernels_portable(),
                                                &detail::pool_kernels_avx2(),
                                                &detail::pool_kernels_avx512()};
  return tables;
}

const PoolKernels& pool_kernels_for(const Pool2dParams& p) { return pool_kernels().best_for(p); }

namespace {
constexpr int64_t kGrain = 16 * 1024;  // elements read per chunk, at least

// Calls fn(begin, end) over plane ranges, each worth about kGrain input elements or more.
template <class Fn>
void over_planes(int64_t planes, int64_t plane_size, ThreadPool* pool, const Fn& fn) {
  if (pool == nullptr || pool->num_threads() == 1 || planes * plane_size < 2 * kGrain) {
    fn(0, planes);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(plane_size, 1));
  pool->parallel_range(
      planes, grain, [&](int64_t b, int64_t e, int) { fn(b, e); }, 4);
}

}  // namespace

void max_pool2d(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool) {
  const auto run = pool_kernels_for(p).max_pool2d;
  over_planes(p.planes(), p.in_h * p.in_w, pool, [&](int64_t b, int64_t e) { run(p, x, y, b, e); });
}

void avg_pool2d(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool) {
  const auto run = pool_kernels_for(p).avg_pool2d;
  over_planes(p.planes(), p.in_h * p.in_w, pool, [&](int64_t b, int64_t e) { run(p, x, y, b, e); });
}

void global_avg_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool) {
  const auto run = pool_kernels().active().global_avg_pool;
  over_planes(planes, plane_size, pool,
              [&](int64_t b, int64_t e) { run(x + b * plane_size, y + b, e - b, plane_size); });
}

void global_max_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool) {
  const auto run = pool_kernels().active().global_max_pool;
  over_planes(planes, plane_size, pool,
              [&](int64_t b, int64_t e) { run(x + b * plane_size, y + b, e - b, plane_size); });
}

}  // namespace sinter::kernels
