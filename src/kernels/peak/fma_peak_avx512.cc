// Sixteen independent 16-wide FMA chains: enough to cover two 512-bit pipes' latency.
#include <immintrin.h>

#include "kernels/peak/fma_peak.h"

namespace sinter::kernels {
namespace {

double run(int64_t iterations) {
  __m512 acc[16];
  for (auto& x : acc) x = _mm512_setzero_ps();
  const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
  for (int64_t it = 0; it < iterations; ++it)
    for (auto& x : acc) x = _mm512_fmadd_ps(a, x, b);
  // Keep the chains live so the loop is not removed.
  __m512 sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_ps(sum, acc[i]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return static_cast<double>(iterations) * 16 * 16 * 2;
}

}  // namespace

namespace detail {
const FmaPeakKernels& fma_peak_kernels_avx512() {
  static const FmaPeakKernels k{run};
  return k;
}
}  // namespace detail

}  // namespace sinter::kernels
