#pragma once
// The scalar definition of each reduction, shared by the fast kernel and its reference: every
// element contributes map(x), contributions merge with combine() from identity(), and finish()
// turns the merged value into the result. combine() is associative (up to rounding), which is
// what lets the fast kernel keep several partial results and merge them at the end.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/integer_semantics.h"
#include "kernels/reduce/reduce.h"

namespace sinter::kernels::reduce_step {

template <ReduceOp op, class T>
constexpr T identity() {
  if constexpr (op == ReduceOp::kMax) {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  } else if constexpr (op == ReduceOp::kMin) {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  } else if constexpr (op == ReduceOp::kProd) {
    return T(1);
  } else {
    return T(0);
  }
}

// Integer reductions wrap around on overflow and conversions from double saturate
// (core/integer_semantics.h): any input values give a defined result.
template <class T>
inline T add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return wrapping_add(a, b);
  return a + b;
}
template <class T>
inline T mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return wrapping_mul(a, b);
  return a * b;
}
template <class T>
inline T from_double(double v) {
  return saturate_cast<T>(v);
}

template <ReduceOp op, class T>
inline T map(T x) {
  if constexpr (op == ReduceOp::kL1) return x < T(0) ? mul(x, T(-1)) : x;
  if constexpr (op == ReduceOp::kL2 || op == ReduceOp::kSumSquare) return mul(x, x);
  if constexpr (op == ReduceOp::kLogSumExp) return from_double<T>(std::exp(double(x)));
  return x;
}

template <ReduceOp op, class T>
inline T combine(T acc, T v) {
  if constexpr (op == ReduceOp::kMax) return acc < v ? v : acc;
  if constexpr (op == ReduceOp::kMin) return v < acc ? v : acc;
  if constexpr (op == ReduceOp::kProd) return mul(acc, v);
  return add(acc, v);
}

template <ReduceOp op, class T>
inline T finish(T acc, int64_t count) {
  if constexpr (op == ReduceOp::kMean) {
    if constexpr (std::is_integral_v<T>) return count ? T(int64_t{acc} / count) : acc;
    return count ? T(acc / T(count)) : acc;
  }
  if constexpr (op == ReduceOp::kL2) return from_double<T>(std::sqrt(double(acc)));
  if constexpr (op == ReduceOp::kLogSumExp || op == ReduceOp::kLogSum)
    return from_double<T>(std::log(double(acc)));
  return acc;
}

// Calls fn(std::integral_constant<ReduceOp, op>{}) for the run-time `op`, so that loops written
// once are compiled once per op with the step inlined.
template <class Fn>
void dispatch(ReduceOp op, Fn&& fn) {
  switch (op) {
#define SINTER_REDUCE_CASE(k) \
  case ReduceOp::k:           \
    return fn(std::integral_constant<ReduceOp, ReduceOp::k>{});
    SINTER_REDUCE_CASE(kSum)
    SINTER_REDUCE_CASE(kMean)
    SINTER_REDUCE_CASE(kMax)
    SINTER_REDUCE_CASE(kMin)
    SINTER_REDUCE_CASE(kProd)
    SINTER_REDUCE_CASE(kL1)
    SINTER_REDUCE_CASE(kL2)
    SINTER_REDUCE_CASE(kSumSquare)
    SINTER_REDUCE_CASE(kLogSumExp)
    SINTER_REDUCE_CASE(kLogSum)
#undef SINTER_REDUCE_CASE
  }
}

}  // namespace sinter::kernels::reduce_step
