#include "kernels/sparse/sparse_kernel_choice.h"

#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/csr_matrix.h"
#include "kernels/sparse/pattern_conv2d.h"

namespace sinter {

namespace {
// Measured with bench/sparse_bench.cc on vgg-small's convs (32 and 64 channels, 28x28 and 14x14,
// batch 1 and 64) and fc1 (3136 x 256): the sparse kernel broke even at about 40 % nonzeros for
// the convs, 14 % for the Gemm with one row of A (gathers are slow) and 33 % with 64 rows.
// The thresholds sit below, where the sparse kernel was at least 1.2x faster.
constexpr double kPatternConvMaxDensity = 0.30;
constexpr double kCsrConvMaxDensity = 0.30;
constexpr double kCsrGemmMaxDensityFewRows = 0.12;
constexpr double kCsrGemmMaxDensity = 0.25;
// The pattern kernel multiplies 4 taps of every kept kernel, zeros included; CSR only the
// nonzeros. Pattern pruning fills the 4 taps, unstructured pruning rarely does.
constexpr double kPatternMinTapFill = 0.9;
}  // namespace

bool pattern_conv2d_pays(const Conv2dShape& s, const float* weights) {
  if (!PatternConv2d::supports(s, weights)) return false;
  int64_t kept = 0, nonzeros = 0;
  for (int64_t k = 0; k < s.M * s.C; ++k) {
    int taps = 0;
    for (int t = 0; t < 9; ++t) taps += weights[k * 9 + t] != 0.0f;
    kept += taps > 0;
    nonzeros += taps;
  }
  return nonzeros >= kPatternMinTapFill * kPatternConvTaps * static_cast<double>(kept) &&
         static_cast<double>(nonzeros) <=
             kPatternConvMaxDensity * static_cast<double>(s.M * s.C * 9);
}

bool csr_conv2d_pays(const Conv2dShape& s, const float* weights) {
  return CsrConv2d::supports(s) &&
         nonzero_fraction(weights, s.M * s.C * s.KH * s.KW) <= kCsrConvMaxDensity;
}

bool csr_gemm_pays(int64_t rows, const float* weights, int64_t n) {
  const double limit =
      rows < CsrGemm::kTransposeRows ? kCsrGemmMaxDensityFewRows : kCsrGemmMaxDensity;
  return nonzero_fraction(weights, n) <= limit;
}

}  // namespace sinter
