// The baseline x86-64 ceiling: twelve independent 4-wide multiply-add chains (SSE2 has no FMA,
// so each step is a multiply and an add: two flops per lane).
#include "kernels/peak/fma_peak.h"

namespace sinter::kernels {
namespace {

typedef float v4f __attribute__((vector_size(16)));

double run(int64_t iterations) {
  v4f acc[12] = {};
  const v4f a = {1.0000001f, 1.0000001f, 1.0000001f, 1.0000001f};
  const v4f b = {0.9999999f, 0.9999999f, 0.9999999f, 0.9999999f};
  for (int64_t it = 0; it < iterations; ++it)
    for (auto& x : acc) x = a * x + b;
  v4f sum = acc[0];
  for (int i = 1; i < 12; ++i) sum += acc[i];
  volatile float sink = sum[0];
  (void)sink;
  return static_cast<double>(iterations) * 12 * 4 * 2;
}

}  // namespace

namespace detail {
const FmaPeakKernels& fma_peak_kernels_portable() {
  static const FmaPeakKernels k{run};
  return k;
}
}  // namespace detail

}  // namespace sinter::kernels
