#pragma once
// The arithmetic of the sparse kernels, one table per ISA tier (kernels/isa_tables.h): the CSR
// GEMM's two loops, the tile loops of the CSR, BSR and pattern convolutions, and the
// shifted-planes input copy and epilogue. A plan (CsrGemm, CsrConv2d, BsrConv2d, PatternConv2d)
// takes the table of the tier it is built for, active_isa() unless told, and keeps it. The tiers'
// loops live in csr_gemm_*.cc, csr_conv2d_*.cc, bsr_conv2d_*.cc, pattern_conv2d_*.cc and
// shifted_planes_*.cc; their tables in sparse_kernels_{portable,avx2,avx512}.cc (the AVX-512 table
// has its own convolution tiles and input copy, the AVX2 GEMM loop and epilogue; every tier gathers
// with the portable GEMM loop).
#include <cstdint>

#include "kernels/isa_tables.h"

namespace sinter {

struct Activation;
struct BlockedCsr;
struct BsrWeights;
struct Conv2dShape;
struct CsrConvWeights;
struct GemmEpilogue;
struct PatternWeights;
class ShiftedPlanes;

struct SparseKernels {
  // Columns [j0, j1) of Y, each row of A by sparse dot products.
  void (*csr_gemm_rows)(const BlockedCsr& w, int64_t M, const float* a, int64_t lda, float* y,
                        int64_t ldy, const GemmEpilogue& epi, float beta, int64_t j0, int64_t j1);
  // Columns [j0, j1) of Y from A transposed: at[k * ld_at + i] = A[i][k], ld_at >= M a multiple
  // of 8 with zero rows past M.
  void (*csr_gemm_transposed)(const BlockedCsr& w, int64_t M, const float* at, int64_t ld_at,
                              float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                              int64_t j0, int64_t j1);
  // The sums of tiles [t0, t1) of filters [m0, m1) of one padded image over the weights' channel
  // blocks [b0, b1) (ShiftedPlanes::TileBody): written at b0, added to after.
  void (*csr_conv2d_tiles)(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1);
  void (*pattern_conv2d_tiles)(const ShiftedPlanes& p, const PatternWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1);
  // As csr_conv2d_tiles; m0 is a multiple of BsrWeights::kFilters.
  void (*bsr_conv2d_tiles)(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1);
  // ShiftedPlanes' epilogue: output rows [oy0, oy1) of filters [m0, m1) from their flat sums
  // (rows of row_length floats from row oy0, flat_size floats a filter), with bias, residual and
  // activation; y, residual and flat at filter m0's.
  void (*finish_shifted_planes)(const Conv2dShape& s, int64_t row_length, const float* flat,
                                int64_t flat_size, int64_t oy0, int64_t oy1, const float* bias,
                                const float* residual, const Activation& act, float* y, int64_t m0,
                                int64_t m1);
  // ShiftedPlanes' input copy: `rows` rows of row_length floats at dst, each zeros but for
  // `count` inputs from column `start`, row q's taken every stride_w-th float from
  // src + q * src_stride.
  void (*copy_padded_rows)(const float* src, int64_t src_stride, int64_t stride_w, int64_t count,
                           int64_t start, float* dst, int64_t row_length, int64_t rows);
};

const kernels::IsaTables<SparseKernels>& sparse_kernels();

namespace detail {
const SparseKernels& sparse_kernels_portable();
const SparseKernels& sparse_kernels_avx2();
const SparseKernels& sparse_kernels_avx512();

// The loops the tables are made of.
void csr_gemm_rows_portable(const BlockedCsr& w, int64_t M, const float* a, int64_t lda, float* y,
                            int64_t ldy, const GemmEpilogue& epi, float beta, int64_t j0,
                            int64_t j1);
void csr_gemm_transposed_portable(const BlockedCsr& w, int64_t M, const float* at, int64_t ld_at,
                                  float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                                  int64_t j0, int64_t j1);
void csr_gemm_transposed_avx2(const BlockedCsr& w, int64_t M, const float* at, int64_t ld_at,
                              float* y, int64_t ldy, const GemmEpilogue& epi, float beta,
                              int64_t j0, int64_t j1);
void csr_conv2d_tiles_portable(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1);
void csr_conv2d_tiles_avx2(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1);
void csr_conv2d_tiles_avx512(const ShiftedPlanes& p, const CsrConvWeights& w, const float* padded,
                             float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                             int64_t b0, int64_t b1);
void pattern_conv2d_tiles_portable(const ShiftedPlanes& p, const PatternWeights& w,
                                   const float* padded, float* flat, int64_t t0, int64_t t1,
                                   int64_t m0, int64_t m1, int64_t b0, int64_t b1);
void pattern_conv2d_tiles_avx2(const ShiftedPlanes& p, const PatternWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1);
void pattern_conv2d_tiles_avx512(const ShiftedPlanes& p, const PatternWeights& w,
                                 const float* padded, float* flat, int64_t t0, int64_t t1,
                                 int64_t m0, int64_t m1, int64_t b0, int64_t b1);
void bsr_conv2d_tiles_portable(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                               int64_t b0, int64_t b1);
void bsr_conv2d_tiles_avx2(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                           float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1, int64_t b0,
                           int64_t b1);
void bsr_conv2d_tiles_avx512(const ShiftedPlanes& p, const BsrWeights& w, const float* padded,
                             float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
                             int64_t b0, int64_t b1);
void finish_shifted_planes_portable(const Conv2dShape& s, int64_t row_length, const float* flat,
                                    int64_t flat_size, int64_t oy0, int64_t oy1, const float* bias,
                                    const float* residual, const Activation& act, float* y,
                                    int64_t m0, int64_t m1);
void finish_shifted_planes_avx2(const Conv2dShape& s, int64_t row_length, const float* flat,
                                int64_t flat_size, int64_t oy0, int64_t oy1, const float* bias,
                                const float* residual, const Activation& act, float* y, int64_t m0,
                                int64_t m1);
void copy_padded_rows_portable(const float* src, int64_t src_stride, int64_t stride_w,
                               int64_t count, int64_t start, float* dst, int64_t row_length,
                               int64_t rows);
void copy_padded_rows_avx512(const float* src, int64_t src_stride, int64_t stride_w, int64_t count,
                             int64_t start, float* dst, int64_t row_length, int64_t rows);
}  // namespace detail

}  // namespace sinter
