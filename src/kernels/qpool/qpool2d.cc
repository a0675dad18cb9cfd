// Channels-last loops: the channel loop is innermost and contiguous, which the compiler
// vectorises (u8 max, u32 sums) at any tier.
#include "kernels/qpool/qpool2d.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "kernels/integer/round_to_u8.h"
#include "kernels/pool/pool_window.h"

namespace sinter::kernels {

namespace {
void max_into(uint8_t* __restrict out, const uint8_t* __restrict in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] > out[i] ? in[i] : out[i];
}
}  // namespace

void qmax_pool2d_nhwc(const Pool2dParams& p, const uint8_t* x, uint8_t* y, ThreadPool* pool) {
  const int64_t OH = p.out_h(), OW = p.out_w(), C = p.channels;
  auto rows = [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / OH, oh = r % OH;
      for (int64_t ow = 0; ow < OW; ++ow) {
        uint8_t* out = y + ((n * OH + oh) * OW + ow) * C;
        std::fill_n(out, C, uint8_t{0});
        for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
          const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          if (ih < 0 || ih >= p.in_h) continue;
          for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
            const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            if (iw < 0 || iw >= p.in_w) continue;
            const uint8_t* in = x + ((n * p.in_h + ih) * p.in_w + iw) * C;
            max_into(out, in, C);
          }
        }
      }
    }
  };
  const int64_t total = p.batch * OH;
  if (pool) {
    pool->parallel_range(total, 1, rows);
  } else {
    rows(0, total, 0);
  }
}

namespace {
// A centred sum times the float multiplier, rounded half to even onto the output's u8 grid.
uint8_t requantize_mean(float centred, float multiplier, const QAverageQuant& q) {
  return round_to_u8(centred * multiplier, static_cast<float>(-q.y_zero_point),
                     static_cast<float>(255 - q.y_zero_point), q.y_zero_point);
}
}  // namespace

void qaverage_pool2d_nhwc(const Pool2dParams& p, const uint8_t* x, const QAverageQuant& q,
                          uint8_t* y, ThreadPool* pool) {
  const int64_t OH = p.out_h(), OW = p.out_w(), C = p.channels;
  const PoolAxis ay = pool_rows(p), ax = pool_cols(p);
  auto rows = [&](int64_t begin, int64_t end, int) {
    std::vector<int32_t> sums(static_cast<size_t>(C));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / OH, oh = r % OH;
      const TapRange ry = ay.inside(oh);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const TapRange rx = ax.inside(ow);
        std::fill(sums.begin(), sums.end(), 0);
        for (int64_t kh = ry.begin; kh < ry.end; ++kh) {
          const int64_t ih = ay.start(oh) + kh * p.dilation_h;
          for (int64_t kw = rx.begin; kw < rx.end; ++kw) {
            const int64_t iw = ax.start(ow) + kw * p.dilation_w;
            const uint8_t* in = x + ((n * p.in_h + ih) * p.in_w + iw) * C;
            int32_t* __restrict s = sums.data();
            for (int64_t c = 0; c < C; ++c) s[c] += in[c];
          }
        }
        const int64_t inside = ry.count() * rx.count();
        const int64_t count =
            p.count_include_pad ? ay.padded_count(oh) * ax.padded_count(ow) : inside;
        uint8_t* out = y + ((n * OH + oh) * OW + ow) * C;
        if (count == 0) {  // no tap at all: the float pool's 0, on the output grid
          std::fill_n(out, C, static_cast<uint8_t>(q.y_zero_point));
          continue;
        }
        const float multiplier = requant_ratio(q.x_scale, static_cast<float>(count) * q.y_scale);
        const int32_t offset = static_cast<int32_t>(inside) * q.x_zero_point;
        for (int64_t c = 0; c < C; ++c)
          out[c] = requantize_mean(static_cast<float>(sums[c] - offset), multiplier, q);
      }
    }
  };
  const int64_t total = p.batch * OH;
  if (pool) {
    pool->parallel_range(total, 1, rows);
  } else {
    rows(0, total, 0);
  }
}

namespace {
// Sum is int32 where 255 * pixels fits (the vectorised loop), else int64.
template <class Sum>
void average_pool(const uint8_t* x, int64_t batch, int64_t pixels, int64_t channels,
                  const QAverageQuant& q, uint8_t* y) {
  std::vector<Sum> sums(static_cast<size_t>(channels));
  const float multiplier = requant_ratio(q.x_scale, static_cast<float>(pixels) * q.y_scale);
  for (int64_t n = 0; n < batch; ++n) {
    std::fill(sums.begin(), sums.end(), 0);
    for (int64_t i = 0; i < pixels; ++i) {
      const uint8_t* in = x + (n * pixels + i) * channels;
      for (int64_t c = 0; c < channels; ++c) sums[static_cast<size_t>(c)] += in[c];
    }
    for (int64_t c = 0; c < channels; ++c)
      y[n * channels + c] =
          requantize_mean(static_cast<float>(sums[static_cast<size_t>(c)] -
                                             static_cast<Sum>(pixels) * q.x_zero_point),
                          multiplier, q);
  }
}

}  // namespace

void qglobal_average_pool_nhwc(const uint8_t* x, int64_t batch, int64_t pixels, int64_t channels,
                               const QAverageQuant& q, uint8_t* y, ThreadPool*) {
  if (pixels <= INT32_MAX / 255) {
    average_pool<int32_t>(x, batch, pixels, channels, q, y);
  } else {
    average_pool<int64_t>(x, batch, pixels, channels, q, y);
  }
}

}  // namespace sinter::kernels
