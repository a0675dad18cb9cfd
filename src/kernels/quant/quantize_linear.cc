// Dispatch for the (de)quantize kernels: the active ISA tier's run bodies. Work is split by element
// ranges, each walked as runs that share one scale.
#include "kernels/quant/quantize_linear.h"

#include <algorithm>
#include <type_traits>

namespace sinter::kernels {

namespace {
// 16K elements a chunk, as for the element-wise kernels: enough to outweigh waking a worker.
constexpr int64_t kGrain = 16 * 1024;

// Calls run(begin, length, parameter index) for the runs of [0, numel) that share a scale.
template <class Run>
void for_each_run(AxisLayout layout, ThreadPool* pool, const Run& run) {
  auto walk = [&](int64_t b, int64_t e) {
    while (b < e) {
      const int64_t end = std::min(e, layout.run_end(b));
      run(b, end - b, layout.param_index(b));
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

// The table entry for Q.
template <class Q>
auto quantize_run(const QuantizeKernels& k) {
  if constexpr (std::is_same_v<Q, int8_t>) return k.quantize_s8;
  if constexpr (std::is_same_v<Q, uint8_t>) return k.quantize_u8;
}
template <class Q>
auto dequantize_run(const QuantizeKernels& k) {
  if constexpr (std::is_same_v<Q, int8_t>) return k.dequantize_s8;
  if constexpr (std::is_same_v<Q, uint8_t>) return k.dequantize_u8;
  if constexpr (std::is_same_v<Q, int32_t>) return k.dequantize_s32;
}

template <class Q>
void quantize(const float* x, Q* y, AxisLayout layout, const float* scale,
              const int32_t* zero_point, IntRange range, ThreadPool* pool) {
  const auto run = quantize_run<Q>(quantize_kernels().active());
  for_each_run(layout, pool, [&](int64_t b, int64_t n, int64_t c) {
    run(x + b, y + b, n, scale[c], zero_point ? zero_point[c] : 0, range);
  });
}

template <class Q>
void dequantize(const Q* x, float* y, AxisLayout layout, const float* scale,
                const int32_t* zero_point, ThreadPool* pool) {
  const auto run = dequantize_run<Q>(quantize_kernels().active());
  for_each_run(layout, pool, [&](int64_t b, int64_t n, int64_t c) {
    run(x + b, y + b, n, scale[c], zero_point ? zero_point[c] : 0);
  });
}
}  // namespace

const IsaTables<QuantizeKernels>& quantize_kernels() {
  static const IsaTables<QuantizeKernels> tables{&detail::quantize_kernels_portable(),
                                                 &detail::quantize_kernels_avx2(),
                                                 &detail::quantize_kernels_avx512()};
  return tables;
}

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
