#pragma once
// Element-wise binary functions with numpy broadcasting over any rank.
#include <cmath>
#include <cstdint>

#include "core/shape.h"
#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,  // pow_apply
  kMax,  // NaN in either operand gives NaN (numpy.maximum)
  kMin,  // NaN in either operand gives NaN (numpy.minimum)
};

// The scalar definition of each op; the reference and every fast path agree with it.
float binary_apply(BinaryOp op, float a, float b);

// Pow's definition: the product a * a for an exponent of 2 (the variance of an exported
// LayerNorm; the correctly rounded square, at a multiply's cost instead of std::pow's), std::pow
// for any other exponent.
inline float pow_apply(float a, float b) { return b == 2.0f ? a * a : std::pow(a, b); }

// y = a op b with numpy broadcasting; y has shape broadcast_shapes(a_shape, b_shape) and is
// contiguous. Throws InputError when the shapes do not broadcast. Rank-0 shapes are scalars.
// y may alias a or b when that input already has the output's shape. Work is split over `pool`
// (may be null) in chunks of at least 16K outputs.
void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* y, ThreadPool* pool = nullptr);

// Plain loops over a multi-index and broadcast strides.
void binary_reference(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* y);

// One ISA tier's inner loops, over one contiguous run of n outputs: both operands vary (vv), b is
// one value (vs), or a is one value (sv). Every tier computes each element with the single IEEE
// operation binary_apply() does (Pow calls pow_apply), so all tiers agree bit for bit.
struct BinaryKernels {
  void (*vv)(BinaryOp op, const float* a, const float* b, float* y, int64_t n);
  void (*vs)(BinaryOp op, const float* a, float b, float* y, int64_t n);
  void (*sv)(BinaryOp op, float a, const float* b, float* y, int64_t n);
};
// Portable, AVX2 and AVX-512 tiers; binary() uses active().
const IsaTables<BinaryKernels>& binary_kernels();

namespace detail {
// binary() on the given tier's inner loops (binary() passes the active one; tests pass each).
void binary_with(const BinaryKernels& kernels, BinaryOp op, const float* a, const Shape& a_shape,
                 const float* b, const Shape& b_shape, float* y, ThreadPool* pool);

// Each tier's table, defined in binary_portable.cc, binary_avx2.cc and binary_avx512.cc.
const BinaryKernels& binary_kernels_portable();
const BinaryKernels& binary_kernels_avx2();
const BinaryKernels& binary_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
