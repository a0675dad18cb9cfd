#include "kernels/peak/fma_peak.h"

#include <algorithm>
#include <chrono>

namespace sinter::kernels {

const IsaTables<FmaPeakKernels>& fma_peak_kernels() {
  static const IsaTables<FmaPeakKernels> t{&detail::fma_peak_kernels_portable(),
                                           &detail::fma_peak_kernels_avx2(),
                                           &detail::fma_peak_kernels_avx512()};
  return t;
}

double measure_fp32_peak_gflops(Isa isa) {
  using Clock = std::chrono::steady_clock;
  const FmaPeakKernels& k = fma_peak_kernels().at(isa);
  auto timed = [&](int64_t iterations, double& gflops) {
    const auto t0 = Clock::now();
    const double flops = k.run(iterations);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    gflops = seconds > 0 ? flops / seconds / 1e9 : 0.0;
    return seconds;
  };
  // Grow the loop until one run takes ~20 ms (this also brings the core out of any
  // low-frequency state), then keep the best of three runs of that length.
  int64_t iterations = 1 << 12;
  double gflops = 0.0;
  while (timed(iterations, gflops) < 0.02 && iterations < (int64_t{1} << 40)) iterations *= 2;
  double best = gflops;
  for (int run = 0; run < 3; ++run) {
    timed(iterations, gflops);
    best = std::max(best, gflops);
  }
  return best;
}

}  // namespace sinter::kernels
