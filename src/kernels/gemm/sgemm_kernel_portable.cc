// The portable micro-kernel (x86-64 baseline, SSE2): a 4 x 8 tile in eight 4-wide vectors,
// written with GCC/Clang vector extensions so it needs no ISA flags.
#include "kernels/gemm/sgemm_kernel.h"

namespace sinter::gemm {
namespace {

constexpr int kMR = 4, kNR = 8;
typedef float v4f __attribute__((vector_size(16)));

void micro_portable(const TileArgs& t) {
  v4f acc[kMR][2] = {};
  const float* a = t.a;
  const float* b = t.b;
  for (int64_t k = 0; k < t.kc; ++k) {
    const float* bk = t.b_rows ? t.b + t.b_rows[k] : b;
    v4f b0, b1;
    __builtin_memcpy(&b0, bk, sizeof(b0));
    __builtin_memcpy(&b1, bk + 4, sizeof(b1));
    for (int i = 0; i < kMR; ++i) {
      const v4f ai = {a[i], a[i], a[i], a[i]};
      acc[i][0] += ai * b0;
      acc[i][1] += ai * b1;
    }
    a += kMR;
    b += t.ldb;
  }
  float tile[kMR * kNR];
  __builtin_memcpy(tile, acc, sizeof(tile));
  store_tile_scalar(t, tile, kNR);
}

}  // namespace

const KernelSet& portable_kernel_set() {
  static const KernelSet ks{"portable_4x8", kMR, kNR, 256, 128, 2048, micro_portable, kMR};
  return ks;
}

}  // namespace sinter::gemm
