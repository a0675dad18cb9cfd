#pragma once
// Element-wise unary functions over contiguous float arrays, and the in-place "activation
// epilogue" for outputs whose producer could not fuse its activation.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/activation.h"

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

// Plain-loop twins with std:: functions: the definition the fast versions are tested against.
void unary_reference(UnaryOp op, const float* x, float* y, int64_t n, float alpha = 0.0f,
                     float beta = 0.0f);
void apply_activation_reference(const Activation& act, float* data, int64_t n);

namespace detail {
// The AVX2+FMA bodies, serial; exposed so that tests can run them regardless of dispatch.
void unary_avx2(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta);
void apply_activation_avx2(const Activation& act, float* data, int64_t n);
}  // namespace detail

}  // namespace sinter::kernels
