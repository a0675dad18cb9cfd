#pragma once
// Element-wise unary functions over contiguous float arrays, and the in-place "activation
// epilogue" for outputs whose producer could not fuse its activation.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

enum class UnaryOp {
  kRelu,     // x > 0 ? x : 0 (NaN -> 0, exactly like Activation::relu, so fusing never
             // changes results)
  kClip,     // min(max(x, alpha), beta)
  kSigmoid,  // 1 / (1 + exp(-x))
  kTanh,
  kHardSigmoid,  // min(max(alpha * x + beta, 0), 1)
  kHardSwish,    // x * min(max(x / 6 + 0.5, 0), 1)
  kErf,
  kSqrt,
  kExp,
  kLog,
  kNeg,
  kAbs,
  kLeakyRelu,  // x >= 0 ? x : alpha * x
};

// y[i] = op(x[i]) for i in [0, n). x == y (in place) is allowed; other overlap is not. Long arrays
// are split over `pool` in chunks of at least 16K elements; pool may be null (serial).
void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha = 0.0f, float beta = 0.0f,
           ThreadPool* pool = nullptr);

// data[i] = act.apply(data[i]), vectorized and threaded like unary().
void apply_activation(const Activation& act, float* data, int64_t n, ThreadPool* pool = nullptr);

// One ISA tier's serial bodies over a contiguous range, with unary()'s and apply_activation()'s
// contracts. Every tier is exact for the piecewise-linear ops and Sqrt/Log/Neg/Abs; the
// transcendental ones are within about 2 ulp (the vector tiers share one set of polynomials).
struct UnaryKernels {
  void (*unary)(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta);
  void (*activation)(const Activation& act, float* data, int64_t n);
};
// Portable, AVX2+FMA and AVX-512 tiers; unary() and apply_activation() use active().
const IsaTables<UnaryKernels>& unary_kernels();

// Plain-loop twins with std:: functions: the definition every tier is tested against.
void unary_reference(UnaryOp op, const float* x, float* y, int64_t n, float alpha = 0.0f,
                     float beta = 0.0f);
void apply_activation_reference(const Activation& act, float* data, int64_t n);

namespace detail {
// Each tier's table, defined in unary_portable.cc, unary_avx2.cc and unary_avx512.cc.
const UnaryKernels& unary_kernels_portable();
const UnaryKernels& unary_kernels_avx2();
const UnaryKernels& unary_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
