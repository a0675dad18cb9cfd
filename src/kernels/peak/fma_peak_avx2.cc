// Twelve independent 8-wide FMA chains: enough to cover two pipes' latency.
#include <immintrin.h>

#include "kernels/peak/fma_peak.h"

namespace sinter::kernels {
namespace {

double run(int64_t iterations) {
  __m256 acc[12];
  for (auto& x : acc) x = _mm256_setzero_ps();
  const __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
  for (int64_t it = 0; it < iterations; ++it)
    for (auto& x : acc) x = _mm256_fmadd_ps(a, x, b);
  // Keep the chains live so the loop is not removed.
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
  volatile float sink = _mm256_cvtss_f32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 8 * 2;
}

}  // namespace

namespace detail {
const FmaPeakKernels& fma_peak_kernels_avx2() {
  static const FmaPeakKernels k{run};
  return k;
}
}  // namespace detail

}  // namespace sinter::kernels
