#pragma once
// Integer arithmetic and float-to-integer conversion with a defined result for every input. Models
// and callers can hand any value to Cast, Clip, Neg, Add, Div...; the plain C++ operators are
// undefined behaviour on overflow (and INT_MIN / -1 traps on x86), so the integer forms of those
// ops wrap around as two's complement, as ONNX Runtime's do in practice, and conversions saturate.
#include <cmath>
#include <limits>
#include <type_traits>

namespace sinter {

// `v` converted to `To`; floats become integers rounded toward zero and saturated at To's range,
// NaN becoming 0 (a plain static_cast is undefined there).
template <class To, class From>
To saturate_cast(From v) {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> &&
                !std::is_same_v<To, bool>) {
    if (std::isnan(v)) return 0;
    // Both bounds are powers of two or one less, so the comparisons are exact at the edges.
    if (v <= static_cast<From>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
  }
  return static_cast<To>(v);
}

// a + b, a - b, a * b and -a wrapped around as two's complement.
template <class T>
T wrapping_add(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <class T>
T wrapping_sub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <class T>
T wrapping_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  // Promoted to at least unsigned int, so a narrow U cannot turn into a signed int multiply.
  using Wide = std::common_type_t<U, unsigned>;
  return static_cast<T>(
      static_cast<U>(static_cast<Wide>(static_cast<U>(a)) * static_cast<Wide>(static_cast<U>(b))));
}
template <class T>
T wrapping_neg(T a) {
  return wrapping_sub(T{0}, a);
}

// a / b rounded toward zero, b != 0; the one quotient that does not fit (min / -1) wraps to min.
template <class T>
T wrapping_div(T a, T b) {
  if (b == -1) return wrapping_neg(a);
  return static_cast<T>(a / b);
}

}  // namespace sinter
