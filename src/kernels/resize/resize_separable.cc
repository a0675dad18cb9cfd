// The resize as one pass per resized axis, [outer, in, inner] -> [outer, out, inner], with every
// axis's taps computed once per shape. A pass over an inner axis combines whole contiguous rows
// (a copy for nearest, a weighted sum of rows that vectorizes for linear and cubic); a pass over
// the last axis gathers along each row. Passes that shrink the tensor run first, and among equal
// ones the last axis, so the gathering pass sees the fewest rows.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernels/resize/resize.h"

namespace sinter::kernels {

ResizePlan plan_resize(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes) {
  ResizePlan plan;
  plan.options = opt;
  for (size_t d = 0; d < axes.size(); ++d) {
    plan.axes.push_back(axis_taps(opt, axes[d]));
    if (!plan.axes.back().identity) plan.pass_order.push_back(d);
  }
  auto growth = [&](size_t d) {
    return static_cast<double>(axes[d].out) / static_cast<double>(std::max<int64_t>(axes[d].in, 1));
  };
  std::stable_sort(plan.pass_order.begin(), plan.pass_order.end(), [&](size_t a, size_t b) {
    return growth(a) != growth(b) ? growth(a) < growth(b) : a > b;
  });
  return plan;
}

namespace {

// Work per parallel chunk: enough floats that splitting pays for itself.
constexpr int64_t kChunkFloats = 16384;

// Output rows [begin, end) of a pass over an inner axis: row r is outer block r / out, output
// coordinate r % out, and each is a weighted sum of `taps` input rows of `inner` floats.
void rows_pass(const AxisTaps& t, float extrapolation, const float* x, float* y, int64_t inner,
               int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t block = r / t.out, o = r % t.out;
    float* dst = y + r * inner;
    if (t.outside[o]) {
      std::fill(dst, dst + inner, extrapolation);
      continue;
    }
    const int64_t* index = &t.index[o * t.taps];
    const float* weight = &t.weight[o * t.taps];
    const float* src = x + block * t.in * inner;
    if (t.taps == 1 && weight[0] == 1.f) {
      std::memcpy(dst, src + index[0] * inner, static_cast<size_t>(inner) * sizeof(float));
      continue;
    }
    const float* row0 = src + index[0] * inner;
    const float w0 = weight[0];
    if (t.taps == 2) {  // linear: one sweep over the row instead of two
      const float* row1 = src + index[1] * inner;
      const float w1 = weight[1];
      for (int64_t i = 0; i < inner; ++i) dst[i] = w0 * row0[i] + w1 * row1[i];
      continue;
    }
    for (int64_t i = 0; i < inner; ++i) dst[i] = w0 * row0[i];
    for (int k = 1; k < t.taps; ++k) {
      const float* row = src + index[k] * inner;
      const float w = weight[k];
      if (w == 0.f) continue;
      for (int64_t i = 0; i < inner; ++i) dst[i] += w * row[i];
    }
  }
}

// Rows [begin, end) of a pass over the last axis, with the tap count fixed at compile time for the
// common filters (nearest 1, linear 2, cubic 4) and read from `t` otherwise (kTaps == 0).
template <int kTaps>
void gather_pass(const AxisTaps& t, float extrapolation, const float* x, float* y, int64_t begin,
                 int64_t end) {
  const int taps = kTaps ? kTaps : t.taps;
  const int64_t* index = t.index.data();
  const float* weight = t.weight.data();
  for (int64_t r = begin; r < end; ++r) {
    const float* src = x + r * t.in;
    float* dst = y + r * t.out;
    for (int64_t o = 0; o < t.out; ++o) {
      const int64_t* i = index + o * taps;
      const float* w = weight + o * taps;
      float sum = w[0] * src[i[0]];
      for (int k = 1; k < taps; ++k) sum += w[k] * src[i[k]];
      dst[o] = sum;
    }
    for (int64_t o = 0; o < t.out; ++o)
      if (t.outside[o]) dst[o] = extrapolation;
  }
}

void run_pass(const AxisTaps& t, float extrapolation, const float* x, float* y, int64_t outer,
              int64_t inner, ThreadPool* pool) {
  auto in_parallel = [&](int64_t items, int64_t floats_per_item, auto&& body) {
    const int64_t grain =
        std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(floats_per_item, 1));
    if (pool && items > grain)
      pool->parallel_range(items, grain, [&](int64_t b, int64_t e, int) { body(b, e); });
    else
      body(0, items);
  };
  if (inner > 1) {
    in_parallel(outer * t.out, inner,
                [&](int64_t b, int64_t e) { rows_pass(t, extrapolation, x, y, inner, b, e); });
    return;
  }
  auto gather = [&](auto fn) {
    in_parallel(outer, t.out, [&](int64_t b, int64_t e) { fn(t, extrapolation, x, y, b, e); });
  };
  switch (t.taps) {
    case 1:
      return gather(gather_pass<1>);
    case 2:
      return gather(gather_pass<2>);
    case 4:
      return gather(gather_pass<4>);
    default:
      return gather(gather_pass<0>);
  }
}

}  // namespace

void resize(const ResizePlan& plan, const float* x, float* y, ResizeScratch& scratch,
            ThreadPool* pool) {
  std::vector<int64_t> dims;
  for (const AxisTaps& t : plan.axes) dims.push_back(t.in);
  auto product = [&](size_t begin, size_t end) {
    return std::accumulate(dims.begin() + static_cast<std::ptrdiff_t>(begin),
                           dims.begin() + static_cast<std::ptrdiff_t>(end), int64_t{1},
                           std::multiplies<>());
  };
  if (plan.pass_order.empty()) {  // every axis maps onto itself
    std::memcpy(y, x, static_cast<size_t>(product(0, dims.size())) * sizeof(float));
    return;
  }
  const float* src = x;
  for (size_t p = 0; p < plan.pass_order.size(); ++p) {
    const size_t d = plan.pass_order[p];
    const AxisTaps& t = plan.axes[d];
    const int64_t outer = product(0, d), inner = product(d + 1, dims.size());
    float* dst = y;
    if (p + 1 < plan.pass_order.size()) {
      Tensor& buffer = scratch.buffers[p % 2];
      const int64_t floats = outer * t.out * inner;
      if (buffer.numel() < floats) buffer = Tensor(DType::kFloat32, {floats});
      dst = buffer.data<float>();
    }
    if (outer * t.out * inner > 0)
      run_pass(t, plan.options.extrapolation_value, src, dst, outer, inner, pool);
    dims[d] = t.out;
    src = dst;
  }
}

}  // namespace sinter::kernels
