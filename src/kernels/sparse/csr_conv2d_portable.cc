// The CSR convolution's tile loop in plain C++ (the portable tier).
#include <algorithm>

#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void csr_conv2d_tiles_portable(const ShiftedPlanes& p, const CsrMatrix& w, const float* padded,
                               float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1) {
  constexpr int64_t kTile = ShiftedPlanes::kTile;
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * kTile;
    for (int64_t m = m0; m < m1; ++m) {
      float acc[kTile] = {};
      for (int32_t k = w.row_begin[m]; k < w.row_begin[m + 1]; ++k) {
        const float wt = w.value[k];
        const float* in = base + w.col[k];
        for (int64_t i = 0; i < kTile; ++i) acc[i] += wt * in[i];
      }
      std::copy(acc, acc + kTile, flat + (m - m0) * p.flat_size() + t * kTile);
    }
  }
}

}  // namespace sinter::detail
