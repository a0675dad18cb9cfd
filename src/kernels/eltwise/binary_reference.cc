#include <cmath>
#include <vector>

#include "kernels/eltwise/binary.h"

namespace sinter::kernels {

float binary_apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
    case BinaryOp::kPow:
      return pow_apply(a, b);
    case BinaryOp::kMax:
      return (a > b || a != a) ? a : b;
    case BinaryOp::kMin:
      return (a < b || a != a) ? a : b;
  }
  return 0.0f;
}

void binary_reference(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* y) {
  const Shape out = broadcast_shapes(a_shape, b_shape);
  const size_t rank = out.size();
  // Strides of each input aligned to the output's dimensions; 0 where the input broadcasts.
  auto aligned_strides = [&](const Shape& s) {
    std::vector<int64_t> st(rank, 0);
    int64_t stride = 1;
    for (size_t k = 0; k < s.size(); ++k) {
      size_t d = s.size() - 1 - k;
      size_t o = rank - 1 - k;
      st[o] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
    return st;
  };
  const std::vector<int64_t> sa = aligned_strides(a_shape), sb = aligned_strides(b_shape);
  const int64_t total = shape_numel(out);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < rank; ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    y[i] = binary_apply(op, a[oa], b[ob]);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace sinter::kernels
