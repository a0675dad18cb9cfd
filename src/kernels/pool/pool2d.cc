// Dispatch for pooling: the AVX2 kernels where the CPU and the parameters allow, else the portable
// clipped loops (any dilation, stride or padding), both split over planes.
#include "kernels/pool/pool2d.h"

#include <algorithm>

#include "core/cpu_features.h"

namespace sinter::kernels {

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
  const bool avx2 = cpu_features().has_avx2_fma() && detail::pool2d_avx2_supports(p);
  over_planes(p.planes(), p.in_h * p.in_w, pool, [&](int64_t b, int64_t e) {
    if (avx2) {
      detail::max_pool2d_avx2(p, x, y, b, e);
    } else {
      detail::max_pool2d_portable(p, x, y, b, e);
    }
  });
}

void avg_pool2d(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma() && detail::pool2d_avx2_supports(p);
  over_planes(p.planes(), p.in_h * p.in_w, pool, [&](int64_t b, int64_t e) {
    if (avx2) {
      detail::avg_pool2d_avx2(p, x, y, b, e);
    } else {
      detail::avg_pool2d_portable(p, x, y, b, e);
    }
  });
}

void global_avg_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma();
  over_planes(planes, plane_size, pool, [&](int64_t b, int64_t e) {
    const float* xb = x + b * plane_size;
    avx2 ? detail::global_avg_pool_avx2(xb, y + b, e - b, plane_size)
         : global_avg_pool_reference(xb, y + b, e - b, plane_size);
  });
}

void global_max_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma();
  over_planes(planes, plane_size, pool, [&](int64_t b, int64_t e) {
    const float* xb = x + b * plane_size;
    avx2 ? detail::global_max_pool_avx2(xb, y + b, e - b, plane_size)
         : global_max_pool_reference(xb, y + b, e - b, plane_size);
  });
}

}  // namespace sinter::kernels
