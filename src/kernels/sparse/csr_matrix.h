#pragma once
// A constant weight matrix in compressed sparse rows: the nonzeros of each row with their column
// indices. Sparse kernels hold their weights this way, built once at plan time.
#include <cstdint>
#include <vector>

namespace sinter {

struct CsrMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> row_begin;  // rows + 1 entries into col and value
  std::vector<int32_t> col;
  std::vector<float> value;

  // The nonzeros of the rows x cols matrix w (element (r, c) at w[r * row_stride + c *
  // col_stride]), so a transposed operand is read in place.
  static CsrMatrix from_dense(int64_t rows, int64_t cols, const float* w, int64_t row_stride,
                              int64_t col_stride, float scale = 1.0f);
  int64_t nonzeros() const { return static_cast<int64_t>(value.size()); }
};

// The share of nonzero values among n floats (1 for n = 0, which no sparse kernel should take).
double nonzero_fraction(const float* w, int64_t n);

}  // namespace sinter
