#pragma once
// Softmax and LogSoftmax along the last axis of a [rows, cols] row-major view. Ops over another
// axis of a higher-rank tensor (opset >= 13 semantics) transpose or use this per inner block.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

// y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)). x == y is allowed. Rows are split
// over `pool` (may be null) with at least ~16K elements per chunk.
void softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool = nullptr);
// y[r, :] = x[r, :] - max - log(sum(exp(x[r, :] - max))).
void log_softmax(const float* x, float* y, int64_t rows, int64_t cols, ThreadPool* pool = nullptr);

// One ISA tier's serial bodies over `rows` rows, with softmax()'s and log_softmax()'s contracts.
// A NaN anywhere in a row makes the row NaN on every tier.
struct SoftmaxKernels {
  void (*softmax)(const float* x, float* y, int64_t rows, int64_t cols);
  void (*log_softmax)(const float* x, float* y, int64_t rows, int64_t cols);
};
// Portable, AVX2+FMA and AVX-512 tiers; softmax() and log_softmax() use active().
const IsaTables<SoftmaxKernels>& softmax_kernels();

// Plain loops with std::exp and a double-precision sum: what every tier is tested against.
void softmax_reference(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_reference(const float* x, float* y, int64_t rows, int64_t cols);

namespace detail {
// Each tier's table, defined in softmax_portable.cc, softmax_avx2.cc and softmax_avx512.cc.
const SoftmaxKernels& softmax_kernels_portable();
const SoftmaxKernels& softmax_kernels_avx2();
const SoftmaxKernels& softmax_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
