#pragma once
// Relu's gradient in one pass: dx = y > 0 ? dy : 0, with y the forward output (y > 0 exactly
// where x > 0, and y lets the pre-activation be freed after the forward pass).
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

// Over contiguous arrays of n floats; dx may alias dy. Split over `pool` (may be null) in chunks
// of at least 16K elements.
void relu_backward(const float* dy, const float* y, float* dx, int64_t n,
                   ThreadPool* pool = nullptr);

// One ISA tier's serial body over a contiguous range.
struct ReluBackwardKernels {
  void (*relu_backward)(const float* dy, const float* y, float* dx, int64_t n);
};
const IsaTables<ReluBackwardKernels>& relu_backward_kernels();

// The plain-loop twin.
void relu_backward_reference(const float* dy, const float* y, float* dx, int64_t n);

namespace detail {
const ReluBackwardKernels& relu_backward_kernels_portable();
const ReluBackwardKernels& relu_backward_kernels_avx2();
const ReluBackwardKernels& relu_backward_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
