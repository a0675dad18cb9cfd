#include "kernels/sparse/blocked_csr.h"

#include <cstddef>

namespace sinter {

BlockedCsr BlockedCsr::from_csr(const CsrMatrix& m) {
  static_assert(kColumnBlock <= 65536, "a column within its block must fit 16 bits");
  BlockedCsr b;
  b.rows = m.rows;
  b.cols = m.cols;
  b.blocks = (m.cols + kColumnBlock - 1) / kColumnBlock;
  b.segment_begin.reserve(static_cast<size_t>(b.blocks * b.rows + 1));
  b.col.reserve(m.col.size());
  b.value.reserve(m.value.size());
  // Each row's nonzeros are in column order, so a row's segments are consecutive runs of it.
  std::vector<int32_t> next(m.row_begin.begin(), m.row_begin.end() - 1);
  for (int64_t block = 0; block < b.blocks; ++block) {
    const int64_t end_col = (block + 1) * kColumnBlock;
    for (int64_t r = 0; r < m.rows; ++r) {
      b.segment_begin.push_back(static_cast<int32_t>(b.value.size()));
      int32_t& k = next[static_cast<size_t>(r)];
      for (; k < m.row_begin[r + 1] && m.col[k] < end_col; ++k) {
        b.col.push_back(static_cast<uint16_t>(m.col[k] - block * kColumnBlock));
        b.value.push_back(m.value[k]);
      }
    }
  }
  b.segment_begin.push_back(static_cast<int32_t>(b.value.size()));
  return b;
}

}  // namespace sinter
