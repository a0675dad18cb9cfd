// The CSR convolution's tile loop in plain C++ (what runs without AVX2).
#include "kernels/sparse/csr_conv2d.h"

namespace sinter {

void csr_conv2d_tiles_portable(const ShiftedPlanes& p, const CsrMatrix& w, const float* padded,
                               const float* bias, const float* residual, const Activation& act,
                               float* y, int64_t t0, int64_t t1, int64_t m0, int64_t m1) {
  constexpr int64_t kTile = ShiftedPlanes::kTile;
  const int64_t out_plane = p.shape().OH() * p.shape().OW();
  for (int64_t t = t0; t < t1; ++t) {
    const float* base = padded + t * kTile;
    for (int64_t m = m0; m < m1; ++m) {
      float acc[kTile] = {};
      for (int32_t k = w.row_begin[m]; k < w.row_begin[m + 1]; ++k) {
        const float wt = w.value[k];
        const float* in = base + w.col[k];
        for (int64_t i = 0; i < kTile; ++i) acc[i] += wt * in[i];
      }
      p.store_tile(acc, t, bias ? bias[m] : 0.0f, residual ? residual + m * out_plane : nullptr,
                   act, y + m * out_plane);
    }
  }
}

}  // namespace sinter
