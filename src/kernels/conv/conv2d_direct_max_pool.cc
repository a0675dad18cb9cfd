#include "kernels/conv/conv2d_direct_max_pool.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/thread_scratch.h"

namespace sinter {

namespace {
// Pooled rows a band computes at once: its convolution rows (9 for a 3x3/2 pool) stay in L2.
constexpr int64_t kBandRows = 4;
// The most a thread's band buffer may take; larger cases run unfused, where the memory limit
// sees the convolution's output.
constexpr int64_t kMaxBandBytes = int64_t{4} << 20;

// Convolution rows a band holds: never more than the map has.
int64_t band_capacity(const kernels::Pool2dParams& p) {
  return std::min(p.in_h, (kBandRows - 1) * p.stride_h + p.kernel_h);
}
}  // namespace

bool Conv2dDirectMaxPool::supports(const Conv2dShape& s, const kernels::Pool2dParams& p) {
  if (!Conv2dDirect::supports(s) || p.batch != s.N || p.channels != s.M || p.in_h != s.OH() ||
      p.in_w != s.OW() || p.dilation_h != 1 || p.dilation_w != 1 || p.in_plane != 0 ||
      p.out_plane != 0 || p.out_h() <= 0 || p.out_w() <= 0)
    return false;
  const double band_bytes = 4.0 * static_cast<double>(p.channels) *
                            static_cast<double>(band_capacity(p)) * static_cast<double>(p.in_w);
  return band_bytes <= static_cast<double>(kMaxBandBytes);
}

Conv2dDirectMaxPool::Conv2dDirectMaxPool(const Conv2dShape& s, const float* weights,
                                         const kernels::Pool2dParams& p)
    : conv_(s, weights), max_pool_(p) {
  SINTER_CHECK(supports(s, p), "Conv2dDirectMaxPool: unsupported convolution or pool");
}

void Conv2dDirectMaxPool::run_rows(const float* x, float* y, const float* bias,
                                   const Activation& act, int64_t p0, int64_t p1) const {
  const kernels::Pool2dParams& p = max_pool_;
  const int64_t OH = p.in_h, OW = p.in_w, M = p.channels;
  const int64_t k = p.kernel_h, stride = p.stride_h, capacity = band_capacity(p);
  float* band = kernels::thread_scratch<Conv2dDirectMaxPool>(M * capacity * OW);
  // Pooled row q reads convolution rows [q * stride - pad_top, ... + k), clipped to the map.
  auto first = [&](int64_t q) { return std::clamp<int64_t>(q * stride - p.pad_top, 0, OH); };
  auto end = [&](int64_t q) { return std::clamp<int64_t>(q * stride - p.pad_top + k, 0, OH); };
  int64_t held0 = 0, held1 = 0;  // convolution rows [held0, held1) are band rows 0, 1, ...
  for (int64_t q0 = p0; q0 < p1; q0 += kBandRows) {
    const int64_t q1 = std::min(p1, q0 + kBandRows);
    const int64_t r0 = first(q0), r1 = std::max(r0, end(q1 - 1));
    // Rows the last band computed that this one reads move to the top of the buffer.
    int64_t kept = 0;
    if (held0 <= r0 && r0 < held1) {
      kept = std::min(held1, r1) - r0;
      if (r0 > held0)
        for (int64_t m = 0; m < M; ++m) {
          float* plane = band + m * capacity * OW;
          std::memmove(plane, plane + (r0 - held0) * OW, sizeof(float) * kept * OW);
        }
    }
    if (r0 + kept < r1)
      conv_.run_rows(x, band + kept * OW, capacity * OW, r0 + kept, r1, bias, nullptr, act);
    held0 = r0;
    held1 = r1;
    // The band as a pool input of its own: rows [r0, r1) with the padding that puts pooled row
    // q0's window where it lies in the whole map, and enough below for exactly q1 - q0 rows.
    kernels::Pool2dParams b = p;
    b.batch = 1;
    b.in_h = r1 - r0;
    b.pad_top = r0 - (q0 * stride - p.pad_top);
    b.pad_bottom = (q1 - q0 - 1) * stride + k - b.pad_top - b.in_h;
    b.in_plane = capacity * OW;
    b.out_plane = p.out_h() * p.out_w();
    SINTER_CHECK(b.out_h() == q1 - q0, "Conv2dDirectMaxPool: band geometry");
    kernels::pool_kernels_for(b).max_pool2d(b, band, y + q0 * p.out_w(), 0, M);
  }
}

void Conv2dDirectMaxPool::run(const float* x, float* y, const float* bias, const Activation& act,
                              ThreadPool* threads) const {
  const Conv2dShape& s = conv_.shape();
  const int64_t PH = max_pool_.out_h(), out_image = s.M * PH * max_pool_.out_w();
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * s.C * s.H * s.W;
    float* yn = y + n * out_image;
    auto rows = [&](int64_t b, int64_t e, int) { run_rows(xn, yn, bias, act, b, e); };
    // Two ranges per thread: each recomputes the rows it shares with the one before it.
    if (threads && threads->num_threads() > 1 && PH > 1) {
      threads->parallel_range(PH, 1, rows, 2);
    } else {
      rows(0, PH, 0);
    }
  }
}

}  // namespace sinter
