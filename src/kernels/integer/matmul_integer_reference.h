#pragma once
// The integer matrix product of MatMulInteger and QLinearMatMul as plain loops, exact:
//   c[m][n] = sum over k of (a[m][k] - a_zero_point[m]) * (b[k][n] - b_zero_point[n])
// with a zero point per row of A and per column of B (one value repeated for per-tensor ones).
// The sums are int64, exact for any K a model can hold; an int32 output (MatMulInteger) is the
// sum modulo 2^32, which is what ONNX allows a 32-bit accumulator to give.
#include <cstdint>

namespace sinter::kernels {

// a [M][K], b [K][N] and c [M][N] row-major. TA and TB are int8_t or uint8_t.
template <class TA, class TB>
void matmul_integer_reference(const TA* a, const int32_t* a_zero_point, const TB* b,
                              const int32_t* b_zero_point, int64_t M, int64_t K, int64_t N,
                              int64_t* c);

}  // namespace sinter::kernels
