#pragma once
// The input layout of the sparse convolutions. Every channel is zero-padded and flattened, so
// output (oy, ox) of a filter sits at flat index oy * wp + ox and the input that tap (c, ky, kx)
// multiplies into it at that index plus one fixed offset. A stride s splits each padded plane
// into s x s phases (rows and columns by their remainder mod s), so that in the phase a tap
// reads, consecutive outputs read consecutive inputs again: wp is then a phase's width. A weight is
// then one shifted stream of the planes: a tile of consecutive flat outputs (running across row
// ends) is a few contiguous vector loads per nonzero weight, whatever the sparsity pattern. The
// kernels store their sums in that flat layout; one pass per filter then adds bias and residual,
// applies the activation and drops the wp - OW columns at each row's end (finishing each tile as it
// was computed cost a division and ragged runs per tile and filter: a third of the time at batch
// 1).
#include <cstdint>
#include <functional>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

class ShiftedPlanes {
 public:
  // Flat outputs per tile: 8 vectors of 8, each its own accumulator, enough independent FMA
  // chains to hide their latency; 64 was 5-15 % faster than 32 (bench/sparse_bench.cc).
  static constexpr int64_t kTile = 64;

  static constexpr int64_t kMaxStride = 4;
  // Ungrouped, strides up to kMaxStride (any padding and dilation), non-empty output.
  static bool supports(const Conv2dShape& s);
  // The epilogue is that of `isa`'s tier (sparse_kernels.h).
  explicit ShiftedPlanes(const Conv2dShape& s, Isa isa = active_isa());

  // Where tap (c, ky, kx) reads relative to the flat output index, in floats.
  int32_t tap_offset(int64_t c, int64_t ky, int64_t kx) const;

  // Floats per filter in the flat sums: whole tiles.
  int64_t flat_size() const { return tiles_ * kTile; }

  // The sums of tiles [t0, t1) of filters [m0, m1) for one padded image, written to
  // flat + m * flat_size() + t * kTile.
  using TileBody = std::function<void(const float* padded, float* flat, int64_t t0, int64_t t1,
                                      int64_t m0, int64_t m1)>;
  // y = act(sums + bias + residual) for every image of x (bias and residual may be null): pads
  // each image, calls body over its tiles and filters, then finishes each filter's plane; the
  // images, or one image's tiles and filters, spread over the pool's threads.
  void run(const float* x, const float* bias, const float* residual, const Activation& act,
           float* y, ThreadPool* pool, const TileBody& body) const;

 private:
  void fill(const float* image, float* dst) const;
  // Filters [m0, m1) of one image from their flat sums.
  void finish(const float* flat, const float* bias, const float* residual, const Activation& act,
              float* y, int64_t m0, int64_t m1) const;
  // A channel's stride_h x stride_w phases.
  int64_t plane_floats() const { return s_.stride_h * s_.stride_w * phase_; }
  int64_t image_floats() const { return s_.C * plane_floats(); }

  Conv2dShape s_;
  int64_t hq_ = 0, wq_ = 0;  // a phase's rows and columns (the padded plane's, at stride 1)
  int64_t phase_ = 0;        // floats per phase: its plane plus the last tile's overreach
  int64_t tiles_ = 0;
  const SparseKernels* k_ = nullptr;
};

}  // namespace sinter
