#pragma once
// The input layout of the sparse stride-1 convolutions. Every channel is zero-padded and
// flattened, so output (oy, ox) of a filter sits at flat index oy * wp + ox and the input that
// tap (c, ky, kx) multiplies into it at that index plus one fixed offset. A weight is then one
// shifted stream of the planes: a tile of consecutive flat outputs (running across row ends) is
// a few contiguous vector loads per nonzero weight, whatever the sparsity pattern. The wp - OW
// columns at each row's end are computed and dropped when the tile is stored.
#include <algorithm>
#include <cstdint>
#include <functional>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"

namespace sinter {

class ThreadPool;

class ShiftedPlanes {
 public:
  static constexpr int64_t kTile = 32;  // flat outputs per tile: 4 vectors of 8

  // Ungrouped, stride 1 (any padding and dilation), non-empty output.
  static bool supports(const Conv2dShape& s);
  explicit ShiftedPlanes(const Conv2dShape& s);

  const Conv2dShape& shape() const { return s_; }
  int64_t row_length() const { return wp_; }  // padded columns: the flat output's row stride
  int64_t tiles() const { return tiles_; }
  // Where tap (c, ky, kx) reads relative to the flat output index, in floats.
  int32_t tap_offset(int64_t c, int64_t ky, int64_t kx) const;

  // Pads one image's C channels into `dst` (image_floats() floats, zero slack included) and
  // calls body(padded, n, tile_begin, tile_end, filter_begin, filter_end) over every image n of
  // x, the images or their tiles and filters spread over the pool's threads.
  using TileBody = std::function<void(const float* padded, int64_t n, int64_t t0, int64_t t1,
                                      int64_t m0, int64_t m1)>;
  void for_each_tile(const float* x, ThreadPool* pool, const TileBody& body) const;

  // Adds bias and residual (both optional, residual at filter m's output plane), applies act and
  // writes the outputs of flat tile `tile` that lie inside the image into y (filter m's plane).
  void store_tile(const float* acc, int64_t tile, float bias, const float* residual,
                  const Activation& act, float* y) const;

  // The output rows and columns that flat tile `tile` covers, as runs of at most kTile columns:
  // fn(offset in the tile, output index oy * OW + ox, run length).
  template <typename Fn>
  void for_each_run(int64_t tile, Fn&& fn) const {
    const int64_t i0 = tile * kTile, OW = s_.OW(), OH = s_.OH();
    int64_t oy = i0 / wp_, ox = i0 - oy * wp_;
    for (int64_t j = 0; j < kTile && oy < OH; j += wp_ - ox, ++oy, ox = 0) {
      const int64_t n = std::min(OW - ox, kTile - j);
      if (n > 0) fn(j, oy * OW + ox, n);
    }
  }

 private:
  void fill(const float* image, float* dst) const;
  int64_t image_floats() const { return s_.C * plane_; }

  Conv2dShape s_;
  int64_t hp_ = 0, wp_ = 0;
  int64_t plane_ = 0;  // floats per channel: the padded plane plus the last tile's overreach
  int64_t tiles_ = 0;
};

}  // namespace sinter
