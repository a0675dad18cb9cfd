#include "kernels/integer/matmul_integer_reference.h"

namespace sinter::kernels {

template <class TA, class TB>
void matmul_integer_reference(const TA* a, const int32_t* a_zero_point, const TB* b,
                              const int32_t* b_zero_point, int64_t M, int64_t K, int64_t N,
                              int64_t* c) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t av = a[m * K + k], bv = b[k * N + n];
        acc += (av - a_zero_point[m]) * (bv - b_zero_point[n]);
      }
      c[m * N + n] = acc;
    }
  }
}

template void matmul_integer_reference(const uint8_t*, const int32_t*, const uint8_t*,
                                       const int32_t*, int64_t, int64_t, int64_t, int64_t*);
template void matmul_integer_reference(const uint8_t*, const int32_t*, const int8_t*,
                                       const int32_t*, int64_t, int64_t, int64_t, int64_t*);
template void matmul_integer_reference(const int8_t*, const int32_t*, const uint8_t*,
                                       const int32_t*, int64_t, int64_t, int64_t, int64_t*);
template void matmul_integer_reference(const int8_t*, const int32_t*, const int8_t*, const int32_t*,
                                       int64_t, int64_t, int64_t, int64_t*);

}  // namespace sinter::kernels
