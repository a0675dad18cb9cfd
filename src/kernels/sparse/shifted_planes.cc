#include "kernels/sparse/shifted_planes.h"

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"

namespace sinter {

bool ShiftedPlanes::supports(const Conv2dShape& s) {
  return s.group == 1 && s.stride_h >= 1 && s.stride_h <= kMaxStride && s.stride_w >= 1 &&
         s.stride_w <= kMaxStride && s.M > 0 && s.OH() > 0 && s.OW() > 0 &&
         s.padded_copy_is_small();
}

ShiftedPlanes::ShiftedPlanes(const Conv2dShape& s, Isa isa) : s_(s), k_(&sparse_kernels().at(isa)) {
  const int64_t hp = s.H + s.pad_top + s.pad_bottom, wp = s.W + s.pad_left + s.pad_right;
  hq_ = (hp + s.stride_h - 1) / s.stride_h;
  wq_ = (wp + s.stride_w - 1) / s.stride_w;
  tiles_ = (s.OH() * wq_ + kTile - 1) / kTile;
  // The last tile reads up to the farthest tap past its last flat output.
  const int64_t reach = tiles_ * kTile + (s.KH - 1) * s.dilation_h / s.stride_h * wq_ +
                        (s.KW - 1) * s.dilation_w / s.stride_w;
  phase_ = std::max(hq_ * wq_, reach);
}

int32_t ShiftedPlanes::tap_offset(int64_t c, int64_t ky, int64_t kx) const {
  const int64_t y = ky * s_.dilation_h, x = kx * s_.dilation_w;
  const int64_t phase = y % s_.stride_h * s_.stride_w + x % s_.stride_w;
  return static_cast<int32_t>(c * plane_floats() + phase * phase_ + y / s_.stride_h * wq_ +
                              x / s_.stride_w);
}

void ShiftedPlanes::fill(const float* image, float* dst) const {
  std::fill(dst, dst + image_floats(), 0.0f);
  const int64_t sh = s_.stride_h, sw = s_.stride_w;
  for (int64_t c = 0; c < s_.C; ++c)
    for (int64_t iy = 0; iy < s_.H; ++iy) {
      const float* src = image + (c * s_.H + iy) * s_.W;
      const int64_t py = iy + s_.pad_top;
      float* row = dst + c * plane_floats() + py % sh * sw * phase_ + py / sh * wq_;
      if (sw == 1) {
        std::copy(src, src + s_.W, row + s_.pad_left);
        continue;
      }
      // Column phase by column phase: a division per phase, not per element.
      for (int64_t phase = 0; phase < sw; ++phase) {
        const int64_t ix0 = ((phase - s_.pad_left) % sw + sw) % sw;
        float* out = row + phase * phase_ + (ix0 + s_.pad_left) / sw;
        for (int64_t ix = ix0; ix < s_.W; ix += sw) *out++ = src[ix];
      }
    }
}

void ShiftedPlanes::run(const float* x, const float* bias, const float* residual,
                        const Activation& act, float* y, ThreadPool* pool,
                        const TileBody& body) const {
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t image = s_.C * s_.H * s_.W, out_image = s_.M * s_.OH() * s_.OW();
  // Per thread (thread_local: one per worker): the padded image and the flat sums.
  auto buffers = [&] {
    thread_local std::vector<float> padded, flat;
    padded.resize(static_cast<size_t>(image_floats()));
    flat.resize(static_cast<size_t>(s_.M * flat_size()));
    return std::pair<float*, float*>{padded.data(), flat.data()};
  };
  auto res = [&](int64_t n) { return residual ? residual + n * out_image : nullptr; };
  if (threads == 1 || s_.N >= 2 * threads) {
    auto one_image = [&](int64_t n, int) {
      auto [padded, flat] = buffers();
      fill(x + n * image, padded);
      body(padded, flat, 0, tiles_, 0, s_.M);
      finish(flat, bias, res(n), act, y + n * out_image, 0, s_.M);
    };
    if (threads == 1) {
      for (int64_t n = 0; n < s_.N; ++n) one_image(n, 0);
    } else {
      pool->parallel_for(s_.N, one_image);
    }
    return;
  }
  // Few images: split each one's tiles, and its filters too when there are few tiles, so every
  // thread gets several items to balance with.
  const int64_t filter_chunks = std::min(s_.M, (4 * threads + tiles_ - 1) / tiles_);
  const int64_t per_chunk = (s_.M + filter_chunks - 1) / filter_chunks;
  // The caller's buffers; workers write disjoint parts of flat. Named variables, not a
  // structured binding, so the lambdas below can capture them under every C++20 compiler.
  const auto buffers_now = buffers();
  float* const padded = buffers_now.first;
  float* const flat = buffers_now.second;
  for (int64_t n = 0; n < s_.N; ++n) {
    fill(x + n * image, padded);
    pool->parallel_for(tiles_ * filter_chunks, [&](int64_t item, int) {
      const int64_t t = item / filter_chunks, m0 = item % filter_chunks * per_chunk;
      if (m0 < s_.M) body(padded, flat, t, t + 1, m0, std::min(s_.M, m0 + per_chunk));
    });
    pool->parallel_range(s_.M, 1, [&](int64_t m0, int64_t m1, int) {
      finish(flat, bias, res(n), act, y + n * out_image, m0, m1);
    });
  }
}

void ShiftedPlanes::finish(const float* flat, const float* bias, const float* residual,
                           const Activation& act, float* y, int64_t m0, int64_t m1) const {
  const int64_t plane = s_.OH() * s_.OW();
  k_->finish_shifted_planes(s_, wq_, flat + m0 * flat_size(), flat_size(), bias,
                            residual ? residual + m0 * plane : nullptr, act, y + m0 * plane, m0,
                            m1);
}

}  // namespace sinter
