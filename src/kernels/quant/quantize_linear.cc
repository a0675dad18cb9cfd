// Dispatch for the (de)quantize kernels: AVX2 when the CPU (and SINTER_ISA) allow it, else the
// reference loops. Work is split by element ranges, each walked as runs that share one channel.
#include "kernels/quant/quantize_linear.h"

#include <algorithm>

#include "core/cpu_features.h"

namespace sinter::kernels {

namespace {
// 16K elements a chunk, as for the element-wise kernels: enough to outweigh waking a worker.
constexpr int64_t kGrain = 16 * 1024;

// Calls run(begin, length, channel) for the runs of [0, numel) that share a channel.
template <class Run>
void for_each_run(AxisLayout layout, ThreadPool* pool, const Run& run) {
  auto walk = [&](int64_t b, int64_t e) {
    while (b < e) {
      const int64_t row = b / layout.inner;
      const int64_t end = std::min(e, (row + 1) * layout.inner);
      run(b, end - b, row % layout.channels);
      b = end;
    }
  };
  const int64_t n = layout.numel();
  if (pool == nullptr || pool->num_threads() == 1 || n < 2 * kGrain) {
    walk(0, n);
    return;
  }
  pool->parallel_range(n, kGrain, [&](int64_t b, int64_t e, int) { walk(b, e); });
}

template <class Q>
void quantize(const float* x, Q* y, AxisLayout layout, const float* scale,
              const int32_t* zero_point, IntRange range, ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma();
  for_each_run(layout, pool, [&](int64_t b, int64_t n, int64_t c) {
    const int32_t zp = zero_point ? zero_point[c] : 0;
    if (avx2) {
      detail::quantize_run_avx2(x + b, y + b, n, scale[c], zp, range);
    } else {
      quantize_linear_reference(x + b, y + b, AxisLayout{1, 1, n}, scale + c, &zp, range);
    }
  });
}

template <class Q>
void dequantize(const Q* x, float* y, AxisLayout layout, const float* scale,
                const int32_t* zero_point, ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma();
  for_each_run(layout, pool, [&](int64_t b, int64_t n, int64_t c) {
    const int32_t zp = zero_point ? zero_point[c] : 0;
    if (avx2) {
      detail::dequantize_run_avx2(x + b, y + b, n, scale[c], zp);
    } else {
      dequantize_linear_reference(x + b, y + b, AxisLayout{1, 1, n}, scale + c, &zp);
    }
  });
}
}  // namespace

void quantize_linear(const float* x, int8_t* y, AxisLayout layout, const float* scale,
                     const int32_t* zero_point, IntRange range, ThreadPool* pool) {
  quantize(x, y, layout, scale, zero_point, range, pool);
}
void quantize_linear(const float* x, uint8_t* y, AxisLayout layout, const float* scale,
                     const int32_t* zero_point, IntRange range, ThreadPool* pool) {
  quantize(x, y, layout, scale, zero_point, range, pool);
}
void dequantize_linear(const int8_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool) {
  dequantize(x, y, layout, scale, zero_point, pool);
}
void dequantize_linear(const uint8_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool) {
  dequantize(x, y, layout, scale, zero_point, pool);
}
void dequantize_linear(const int32_t* x, float* y, AxisLayout layout, const float* scale,
                       const int32_t* zero_point, ThreadPool* pool) {
  dequantize(x, y, layout, scale, zero_point, pool);
}

}  // namespace sinter::kernels
