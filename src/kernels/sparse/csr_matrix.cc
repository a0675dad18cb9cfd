#include "kernels/sparse/csr_matrix.h"

#include <limits>

#include "core/error.h"

namespace sinter {

CsrMatrix CsrMatrix::from_dense(int64_t rows, int64_t cols, const float* w, int64_t row_stride,
                                int64_t col_stride, float scale) {
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_begin.reserve(static_cast<size_t>(rows + 1));
  m.row_begin.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float v = w[r * row_stride + c * col_stride];
      if (v == 0.0f) continue;
      m.col.push_back(static_cast<int32_t>(c));
      m.value.push_back(scale * v);
    }
    SINTER_CHECK(m.value.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                 "too many nonzeros for 32-bit CSR offsets");
    m.row_begin.push_back(static_cast<int32_t>(m.value.size()));
  }
  return m;
}

double nonzero_fraction(const float* w, int64_t n) {
  if (n == 0) return 1.0;
  int64_t nonzeros = 0;
  for (int64_t i = 0; i < n; ++i) nonzeros += w[i] != 0.0f;
  return static_cast<double>(nonzeros) / static_cast<double>(n);
}

}  // namespace sinter
