#include "kernels/sparse/sparse_kernel_choice.h"

#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/csr_matrix.h"
#include "kernels/sparse/pattern_conv2d.h"

namespace sinter {

namespace {
constexpr double kPatternConvMaxDensity = 0.30;
constexpr double kCsrConvMaxDensity = 0.20;
constexpr double kCsrGemmMaxDensity = 0.30;
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
  return nonzero_fraction(weights, n) <= kCsrGemmMaxDensity;
}

}  // namespace sinter
