#pragma once
// Element-wise binary functions with numpy broadcasting over any rank.
#include <cstdint>

#include "core/shape.h"
#include "core/thread_pool.h"

namespace sinter::kernels {

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,  // std::pow
  kMax,  // NaN in either operand gives NaN (numpy.maximum)
  kMin,  // NaN in either operand gives NaN (numpy.minimum)
};

// The scalar definition of each op; the reference and every fast path agree with it.
float binary_apply(BinaryOp op, float a, float b);

// y = a op b with numpy broadcasting; y has shape broadcast_shapes(a_shape, b_shape) and is
// contiguous. Throws InputError when the shapes do not broadcast. Rank-0 shapes are scalars.
// y may alias a or b when that input already has the output's shape. Work is split over `pool`
// (may be null) in chunks of at least 16K outputs.
void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* y, ThreadPool* pool = nullptr);

// Plain loops over a multi-index and broadcast strides.
void binary_reference(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* y);

namespace detail {
// Inner loops of the fast path, over one contiguous run of n outputs: both operands vary (vv),
// b is one value (vs), or a is one value (sv). Exposed for tests.
void binary_vv_avx2(BinaryOp op, const float* a, const float* b, float* y, int64_t n);
void binary_vs_avx2(BinaryOp op, const float* a, float b, float* y, int64_t n);
void binary_sv_avx2(BinaryOp op, float a, const float* b, float* y, int64_t n);
}  // namespace detail

}  // namespace sinter::kernels
