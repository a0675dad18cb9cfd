// Dispatch for the magnitude passes: the active tier's bodies, the threshold made a float.
#include "kernels/select/magnitude_passes.h"

#include <cmath>
#include <limits>

namespace sinter::kernels {

const IsaTables<MagnitudeKernels>& magnitude_kernels() {
  static const IsaTables<MagnitudeKernels> tables{&detail::magnitude_kernels_portable(),
                                                  &detail::magnitude_kernels_avx2(),
                                                  &detail::magnitude_kernels_avx512()};
  return tables;
}

float float_below(double t) {
  const auto f = static_cast<float>(t);
  return static_cast<double>(f) > t ? std::nextafter(f, -std::numeric_limits<float>::infinity())
                                    : f;
}

double sum_of_magnitudes(const float* x, int64_t n) {
  return magnitude_kernels().active().sum_of_magnitudes(x, n);
}

ExcessSums excess_sums(const float* m, int64_t n, double base) {
  return magnitude_kernels().active().excess_sums(m, n, base);
}

int64_t keep_magnitudes_above(const float* x, int64_t n, double t, float* out) {
  return magnitude_kernels().active().keep_above(x, n, float_below(t), out);
}

int64_t count_magnitudes_above(const float* x, int64_t n, double t) {
  return magnitude_kernels().active().count_above(x, n, float_below(t));
}

int64_t indices_of_magnitudes_above(const float* x, int64_t n, double t, uint32_t* indices) {
  return magnitude_kernels().active().indices_above(x, n, float_below(t), indices);
}

}  // namespace sinter::kernels
