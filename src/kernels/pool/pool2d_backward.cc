// Dispatch for the pooling gradients: the active tier's kernels (pool2d_backward_portable.cc),
// split over planes.
#include "kernels/pool/pool2d_backward.h"

#include <algorithm>

#include "core/error.h"

namespace sinter::kernels {

const IsaTables<PoolBackwardKernels>& pool_backward_kernels() {
  static const IsaTables<PoolBackwardKernels> tables = {&detail::pool_backward_kernels_portable()};
  return tables;
}

namespace {

// Input elements a task gets at least, as the element-wise kernels split.
constexpr int64_t kGrain = 16 * 1024;

template <class RangeFn>
void over_planes(const Pool2dParams& p, ThreadPool* pool, const RangeFn& fn) {
  // The gradient kernels address planes as packed: plane strides are a forward feature.
  SINTER_CHECK(p.in_plane == 0 && p.out_plane == 0, "pooling gradient with plane strides");
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, p.in_h * p.in_w));
  if (pool == nullptr || pool->num_threads() == 1 || p.planes() < 2 * grain) {
    fn(0, p.planes());
    return;
  }
  pool->parallel_range(p.planes(), grain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

}  // namespace

void max_pool2d_backward(const Pool2dParams& p, const float* x, const float* dy, float* dx,
                         ThreadPool* pool) {
  const auto run = pool_backward_kernels().active().max_pool2d_backward;
  over_planes(p, pool, [&](int64_t b, int64_t e) { run(p, x, dy, dx, b, e); });
}

void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx, ThreadPool* pool) {
  const auto run = pool_backward_kernels().active().avg_pool2d_backward;
  over_planes(p, pool, [&](int64_t b, int64_t e) { run(p, dy, dx, b, e); });
}

}  // namespace sinter::kernels
