#include "kernels/sparse/sparse_kernel_choice.h"

#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/bsr_gemm.h"
#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/csr_matrix.h"
#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/pattern_masks.h"

namespace sinter {

namespace {
// Measured with bench/sparse_bench.cc on vgg-small's convs (32 and 64 channels, 28x28 and 14x14,
// batch 1 and 64) and fc1 (3136 x 256): the sparse kernel broke even at about 40 % nonzeros for
// the convs, 14 % for the Gemm with one row of A (gathers are slow) and 33 % with 64 rows.
// The thresholds sit below, where the sparse kernel was at least 1.2x faster (the pattern
// kernel's in kernels/sparse/pattern_masks.h).
constexpr double kCsrConvMaxDensity = 0.30;
constexpr double kCsrGemmMaxDensityFewRows = 0.12;
constexpr double kCsrGemmMaxDensity = 0.25;
// A weight that no cache holds makes the dense Gemm wait on memory for a few rows of A, and the
// sparse one reads fewer bytes: VGG-16's fc7 (64 MiB) broke even at about 25 % nonzeros, fc6
// (392 MiB) above 40 % (BM_SparseGemmVgg16Fc, Zen 5; CSR at 20 % about 1.25x and 1.8x faster).
constexpr int64_t kLargeWeightBytes = 32 << 20;
constexpr double kCsrGemmMaxDensityFewRowsLarge = 0.20;
// The BSR convolution multiplies the zeros inside its blocks; per multiply-add it ran 1.1-1.65x
// faster than CSR on ResNet-50's 1x1 layers and 1.6-2.2x on its 3x3 ones (BM_SparseConv1x1,
// BM_SparseConv3x3Blocks), so blocks filled to this share win on both with some margin.
constexpr double kBsrConvMinFill = 0.75;
// The BSR Gemm likewise: a block is one gathered input for 4 multiply-adds where CSR gathers one
// per multiply-add.
constexpr double kBsrGemmMinFill = 0.75;
}  // namespace

bool pattern_conv2d_pays(const Conv2dShape& s, const float* weights) {
  return PatternConv2d::supports(s, weights) && pattern_sparse_enough(weights, s.M * s.C);
}

bool csr_conv2d_pays(const Conv2dShape& s, const float* weights) {
  return CsrConv2d::supports(s) &&
         nonzero_fraction(weights, s.M * s.C * s.KH * s.KW) <= kCsrConvMaxDensity;
}

bool bsr_conv2d_pays(const Conv2dShape& s, const float* weights) {
  return csr_conv2d_pays(s, weights) && BsrConv2d::block_fill(s, weights) >= kBsrConvMinFill;
}

bool bsr_gemm_pays(int64_t rows, bool trans_b, int64_t K, int64_t N, const float* weights) {
  return csr_gemm_pays(rows, weights, K * N) &&
         BsrGemm::block_fill(trans_b, K, N, weights) >= kBsrGemmMinFill;
}

bool csr_gemm_pays(int64_t rows, const float* weights, int64_t n) {
  const bool large = n * static_cast<int64_t>(sizeof(float)) > kLargeWeightBytes;
  const double limit = rows >= CsrGemm::kTransposeRows ? kCsrGemmMaxDensity
                       : large                         ? kCsrGemmMaxDensityFewRowsLarge
                                                       : kCsrGemmMaxDensityFewRows;
  return nonzero_fraction(weights, n) <= limit;
}

}  // namespace sinter
