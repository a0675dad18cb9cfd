#pragma once
// Softmax and LogSoftmax along the last axis of a [rows, cols] row-major view. Ops over another
// axis of a higher-rank tensor (opset >= 13 semantics) transpose or use this per inner block.
#include <cstdint>

#include "core/thread_pool.h"

namespace sinter::kernels {

// y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)). x == y is allowed. Rows are split
// over `pool` (may be null) with at least ~16K elements per chunk.
void softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool = nullptr);
// y[r, :] = x[r, :] - max - log(sum(exp(x[r, :] - max))).
void log_softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool = nullptr);

// Plain loops with std::exp and a double-precision sum.
void softmax_reference(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_reference(const float* x, float* y, int64_t rows, int64_t cols);

namespace detail {
// One row each, AVX2+FMA.
void softmax_row_avx2(const float* x, float* y, int64_t cols);
void log_softmax_row_avx2(const float* x, float* y, int64_t cols);
}  // namespace detail

}  // namespace sinter::kernels
