#include "kernels/sparse/shifted_planes.h"

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"

namespace sinter {

bool ShiftedPlanes::supports(const Conv2dShape& s) {
  return s.group == 1 && s.stride_h == 1 && s.stride_w == 1 && s.OH() > 0 && s.OW() > 0;
}

ShiftedPlanes::ShiftedPlanes(const Conv2dShape& s) : s_(s) {
  hp_ = s.H + s.pad_top + s.pad_bottom;
  wp_ = s.W + s.pad_left + s.pad_right;
  tiles_ = (s.OH() * wp_ + kTile - 1) / kTile;
  // The last tile reads up to the farthest tap past its last flat output.
  const int64_t reach =
      tiles_ * kTile + (s.KH - 1) * s.dilation_h * wp_ + (s.KW - 1) * s.dilation_w;
  plane_ = std::max(hp_ * wp_, reach);
}

int32_t ShiftedPlanes::tap_offset(int64_t c, int64_t ky, int64_t kx) const {
  return static_cast<int32_t>(c * plane_ + ky * s_.dilation_h * wp_ + kx * s_.dilation_w);
}

void ShiftedPlanes::fill(const float* image, float* dst) const {
  std::fill(dst, dst + image_floats(), 0.0f);
  for (int64_t c = 0; c < s_.C; ++c)
    for (int64_t iy = 0; iy < s_.H; ++iy) {
      const float* src = image + (c * s_.H + iy) * s_.W;
      std::copy(src, src + s_.W, dst + c * plane_ + (iy + s_.pad_top) * wp_ + s_.pad_left);
    }
}

void ShiftedPlanes::for_each_tile(const float* x, ThreadPool* pool, const TileBody& body) const {
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t image = s_.C * s_.H * s_.W;
  // Each thread pads the images it takes into its own buffer (thread_local: one per worker).
  auto padded_image = [&](int64_t n) {
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<size_t>(image_floats()));
    fill(x + n * image, buffer.data());
    return buffer.data();
  };
  if (threads == 1 || s_.N >= 2 * threads) {
    auto one_image = [&](int64_t n, int) { body(padded_image(n), n, 0, tiles_, 0, s_.M); };
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
  for (int64_t n = 0; n < s_.N; ++n) {
    const float* padded = padded_image(n);
    pool->parallel_for(tiles_ * filter_chunks, [&](int64_t item, int) {
      const int64_t t = item / filter_chunks, m0 = item % filter_chunks * per_chunk;
      if (m0 < s_.M) body(padded, n, t, t + 1, m0, std::min(s_.M, m0 + per_chunk));
    });
  }
}

void ShiftedPlanes::store_tile(const float* acc, int64_t tile, float bias, const float* residual,
                               const Activation& act, float* y) const {
  for_each_run(tile, [&](int64_t j, int64_t out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      float v = acc[j + i] + bias;
      if (residual) v += residual[out + i];
      y[out + i] = act.apply(v);
    }
  });
}

}  // namespace sinter
