// The gradient of the separable resize: its passes transposed and in reverse order. A forward
// pass [outer, in, inner] -> [outer, out, inner] reads taps; its transpose scatters each output
// row's gradient, times the tap's weight, onto the tap's input row. Outer blocks are independent,
// so they split over the pool without two threads adding into one row.
#include <algorithm>
#include <cstring>

#include "kernels/resize/resize.h"

namespace sinter::kernels {
namespace {

void transposed_pass(const AxisTaps& t, const float* dy, float* dx, int64_t inner,
                     int64_t begin_block, int64_t end_block) {
  for (int64_t b = begin_block; b < end_block; ++b) {
    float* to = dx + b * t.in * inner;
    std::fill(to, to + t.in * inner, 0.f);
    const float* from = dy + b * t.out * inner;
    for (int64_t o = 0; o < t.out; ++o) {
      if (t.outside[o]) continue;  // the extrapolation value depends on no input
      const float* row = from + o * inner;
      for (int k = 0; k < t.taps; ++k) {
        const float w = t.weight[o * t.taps + k];
        if (w == 0.f) continue;
        float* target = to + t.index[o * t.taps + k] * inner;
        for (int64_t i = 0; i < inner; ++i) target[i] += w * row[i];
      }
    }
  }
}

}  // namespace

void resize_backward(const ResizePlan& plan, const float* dy, float* dx, ResizeScratch& scratch,
                     ThreadPool* pool) {
  std::vector<int64_t> dims;
  for (const AxisTaps& t : plan.axes) dims.push_back(t.out);
  auto product = [&](size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t d = begin; d < end; ++d) p *= dims[d];
    return p;
  };
  if (plan.pass_order.empty()) {
    std::memcpy(dx, dy, static_cast<size_t>(product(0, dims.size())) * sizeof(float));
    return;
  }
  const float* src = dy;
  const size_t passes = plan.pass_order.size();
  for (size_t step = 0; step < passes; ++step) {
    const size_t d = plan.pass_order[passes - 1 - step];
    const AxisTaps& t = plan.axes[d];
    const int64_t outer = product(0, d), inner = product(d + 1, dims.size());
    float* dst = dx;
    if (step + 1 < passes) {
      Tensor& buffer = scratch.buffers[step % 2];
      const int64_t floats = outer * t.in * inner;
      if (buffer.numel() < floats) buffer = Tensor(DType::kFloat32, {floats});
      dst = buffer.data<float>();
    }
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(t.in * inner, 1));
    auto body = [&](int64_t b, int64_t e) { transposed_pass(t, src, dst, inner, b, e); };
    if (pool && outer > grain)
      pool->parallel_range(outer, grain, [&](int64_t b, int64_t e, int) { body(b, e); });
    else
      body(0, outer);
    dims[d] = t.in;
    src = dst;
  }
}

}  // namespace sinter::kernels
