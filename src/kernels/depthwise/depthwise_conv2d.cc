// Dispatch for depthwise convolution: the best tier at or below active_isa() that runs the shape
// (AVX2 and AVX-512 cover those of mobilenet-style networks, the portable tier any), split over
// output planes.
#include "kernels/depthwise/depthwise_conv2d.h"

#include <algorithm>

namespace sinter::kernels {

const IsaTables<DepthwiseKernels>& depthwise_kernels() {
  static const IsaTables<DepthwiseKernels> tables = {&detail::depthwise_kernels_portable(),
                                                     &detail::depthwise_kernels_avx2(),
                                                     &detail::depthwise_kernels_avx512()};
  return tables;
}

const DepthwiseKernels& depthwise_kernels_for(const DepthwiseConv2dParams& p) {
  return depthwise_kernels().best_for(p);
}

void depthwise_conv2d(const DepthwiseConv2dParams& p, const float* x, const float* w,
                      const float* bias, const float* residual, float* y, ThreadPool* pool) {
  const int64_t planes = p.batch * p.out_channels();
  const auto conv = depthwise_kernels_for(p).conv2d;
  auto run = [&](int64_t b, int64_t e) { conv(p, x, w, bias, residual, y, b, e); };
  // Work per plane is out_h * out_w * kernel taps; aim for chunks of >= ~64K multiply-adds so
  // that small layers (960 x 7 x 7) don't pay a hand-off per plane.
  const int64_t work = std::max<int64_t>(1, p.out_h() * p.out_w() * p.kernel_h * p.kernel_w);
  constexpr int64_t kGrainWork = 64 * 1024;
  if (pool == nullptr || pool->num_threads() == 1 || planes * work < 2 * kGrainWork) {
    run(0, planes);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrainWork / work);
  pool->parallel_range(
      planes, grain, [&](int64_t b, int64_t e, int) { run(b, e); }, 4);
}

}  // namespace sinter::kernels
