#include "kernels/blocked/blocked_max_pool.h"

#include <algorithm>

namespace sinter::kernels {

const IsaTables<BlockedPoolKernels>& blocked_pool_kernels() {
  static const IsaTables<BlockedPoolKernels> tables = {
      &detail::blocked_pool_kernels_portable(), nullptr, &detail::blocked_pool_kernels_avx512()};
  return tables;
}

void max_pool_blocked(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool,
                      const BlockedPoolKernels& tier) {
  const int64_t OH = p.out_h(), OW = p.out_w(), Cb = channel_blocks(p.channels);
  const int64_t in_plane = p.in_h * p.in_w * kChannelBlock, out_plane = OH * OW * kChannelBlock;
  auto rows = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t oh = i % OH, block = i / OH;  // block: image * Cb + channel block
      tier.max_pool_row(p, x + block * in_plane, oh,
                        y + block * out_plane + oh * OW * kChannelBlock);
    }
  };
  const int64_t total = p.batch * Cb * OH;
  const int64_t grain =
      std::max<int64_t>(1, 8192 / std::max<int64_t>(1, OW * p.kernel_h * p.kernel_w));
  if (pool && pool->num_threads() > 1 && total > grain) {
    pool->parallel_range(total, grain, rows, 4);
  } else {
    rows(0, total, 0);
  }
}

}  // namespace sinter::kernels
