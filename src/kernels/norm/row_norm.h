#pragma once
// Normalization of rows: LayerNormalization, InstanceNormalization and GroupNormalization each
// view X as [rows, cols], bring every row to zero mean and unit variance, and apply a scale and a
// bias: per column (LayerNorm), or per run of columns chosen by the row (one channel's elements in
// instance and group normalization).
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct RowNormParams {
  int64_t rows = 0, cols = 0;
  float epsilon = 1e-5f;
  // Which scale and bias an element takes. per_column: column i takes index i. Otherwise a row is
  // `segments` runs of cols / segments columns, and run j of row r takes (r % period) * segments
  // + j.
  bool per_column = true;
  int64_t period = 1, segments = 1;
};

// y = (x - mean) * inv_std * scale + bias, row by row, where mean and the variance are the row's
// (population variance) and inv_std = 1 / sqrt(variance + epsilon). bias may be null (zero).
// Each row's mean and inv_std go to `mean` and `inv_std` when not null. The moments are summed in
// double, in an order that does not depend on the threads; rows are split over `pool` (may be
// null).
void normalize_rows(const RowNormParams& p, const float* x, const float* scale, const float* bias,
                    float* y, float* mean, float* inv_std, ThreadPool* pool = nullptr);

// Plain loops in double: the mean, then the variance about it, then every output.
void normalize_rows_reference(const RowNormParams& p, const float* x, const float* scale,
                              const float* bias, float* y, float* mean, float* inv_std);

// One ISA tier's rows [row_begin, row_end), serially. Every tier runs the same loops
// (row_norm_loops.h), compiled with its own instruction set.
struct RowNormKernels {
  void (*normalize_rows)(const RowNormParams& p, const float* x, const float* scale,
                         const float* bias, float* y, float* mean, float* inv_std,
                         int64_t row_begin, int64_t row_end);
};
const IsaTables<RowNormKernels>& row_norm_kernels();

namespace detail {
const RowNormKernels& row_norm_kernels_portable();
const RowNormKernels& row_norm_kernels_avx2();
const RowNormKernels& row_norm_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
