#pragma once
// When a sparse kernel beats the dense one on a constant weight. The thresholds are on the
// share of nonzero weights, measured on this project's machine (docs/PERFORMANCE.md, "Pruned
// models"): the sparse kernels do one load per multiply-add, the dense ones (Winograd, packed
// GEMM) far fewer, so the zeros must pay for that.
#include <cstdint>

#include "kernels/conv/conv2d.h"

namespace sinter {

// The pattern convolution, for 3x3 weights whose kernels keep at most 4 taps each.
bool pattern_conv2d_pays(const Conv2dShape& s, const float* weights);
// The CSR convolution, for weights [M, C, KH, KW] with unstructured zeros.
bool csr_conv2d_pays(const Conv2dShape& s, const float* weights);
// The BSR convolution, for weights [M, C, KH, KW] pruned in blocks of BsrWeights::kFilters
// filters at one tap; where it pays, so does the CSR convolution.
bool bsr_conv2d_pays(const Conv2dShape& s, const float* weights);
// The CSR GEMM, for a constant weight of n floats used by a Gemm with `rows` rows of A.
bool csr_gemm_pays(int64_t rows, const float* weights, int64_t n);
// The BSR GEMM, for a constant weight (op(B) K x N, B [N, K] when trans_b) pruned in blocks of
// BsrGemmWeights::kRows outputs at one input; where it pays, so does the CSR GEMM.
bool bsr_gemm_pays(int64_t rows, bool trans_b, int64_t K, int64_t N, const float* weights);

}  // namespace sinter
