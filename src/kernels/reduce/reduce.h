#pragma once
// Reductions over any set of axes of a dense row-major tensor: the ONNX Reduce* ops, and the sums
// that training's gradients make over batch, spatial and broadcast axes.
#include <cstdint>
#include <vector>

#include "core/shape.h"
#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

enum class ReduceOp {
  kSum,
  kMean,
  kMax,  // a NaN after the first element is skipped, as std::max does
  kMin,
  kProd,
  kL1,
  kL2,
  kSumSquare,
  kLogSumExp,  // log(sum(exp(x))), without shifting by the maximum
  kLogSum,
};

// y[j] = op over the elements of x (of `shape`) whose index along every axis d with reduced[d]
// set varies, for each index j of the kept axes in order (keepdims changes y's shape, not its
// layout). An empty reduction gives the op's starting value, finished (0 for a sum). Work is split
// over `pool` (may be null); results do not depend on the number of threads.
void reduce(ReduceOp op, const float* x, const Shape& shape, const std::vector<bool>& reduced,
            float* y, ThreadPool* pool = nullptr);

// One ISA tier's reduce(), with its contract (threads included: the split is part of the order
// that makes results independent of the thread count). Every tier runs the same loops
// (reduce_loops.h), compiled with its own instruction set.
struct ReduceKernels {
  void (*reduce)(ReduceOp op, const float* x, const Shape& shape, const std::vector<bool>& reduced,
                 float* y, ThreadPool* pool);
};
const IsaTables<ReduceKernels>& reduce_kernels();

// The plain-loop twin, for float, int32_t and int64_t: one walk over x in order, each element
// added into its output in turn.
template <class T>
void reduce_reference(ReduceOp op, const T* x, const Shape& shape, const std::vector<bool>& reduced,
                      T* y);

namespace detail {
const ReduceKernels& reduce_kernels_portable();
const ReduceKernels& reduce_kernels_avx2();
const ReduceKernels& reduce_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
