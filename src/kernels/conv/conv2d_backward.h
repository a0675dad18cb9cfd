#pragma once
// The two gradients of a 2-D convolution (NCHW, any stride, padding, dilation and groups), for
// training: with respect to its input (dX) and to its weights (dW). Each is planned once per
// shape; the weights (dX) change every step, so they are taken at run time. Plain-loop
// reference twins below.
#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_tap_rows.h"
#include "kernels/conv/conv2d_training_kernels.h"

namespace sinter {

class ThreadPool;

// dx [N, C, H, W] = d(loss)/dx from dy [N, M, OH, OW] and w [M, C/group, KH, KW].
class Conv2dBackwardData {
 public:
  enum class Algorithm {
    // Stride 1: dX is a forward convolution of dY with the flipped, in/out-swapped weights and
    // padding dilation*(k-1)-pad, so it runs on the planned Conv2d (Winograd for 3x3 included).
    kTransposedConv,
    // Stride 1 on a tier with tap-rows kernels (AVX2, AVX-512), the same convolution on the
    // tap-rows kernel (conv2d_tap_rows_conv.h):
    // dY read in place, no im2col packing. For few dY channels and little padding.
    kTapRowsConv,
    // Any shape: cols = W^T dY per image and group, scattered back into dX (col2im).
    kGemmCol2im,
  };
  static bool supports_transposed_conv(const Conv2dShape& s);
  static bool supports_tap_rows_conv(const Conv2dShape& s, Isa isa = active_isa());

  // UnsupportedError if `force` cannot run this shape. The tap-rows kernels are those of
  // `isa`'s tier (conv2d_training_kernels.h).
  explicit Conv2dBackwardData(const Conv2dShape& s, std::optional<Algorithm> force = std::nullopt,
                              Isa isa = active_isa());
  // Overwrites dx.
  void run(const float* dy, const float* w, float* dx, ThreadPool* pool) const;
  Algorithm algorithm() const { return algorithm_; }
  // "transposed_conv", "tap_rows_conv", "gemm_col2im": how --profile names the algorithm.
  static const char* algorithm_name(Algorithm a);
  // For weights that never change (a ConvTranspose in inference): the GEMM path packs them once
  // here instead of on every run, and run() then reads these, not its w.
  void keep_weights(const float* w);

 private:
  void run_tap_rows(const float* dy, const float* w, float* dx, ThreadPool* pool) const;
  void run_gemm_col2im(const float* dy, const float* w, float* dx, ThreadPool* pool) const;

  Conv2dShape s_;
  Conv2dShape transposed_;  // stride 1: the forward conv dY -> dX
  Algorithm algorithm_;
  TapRows tap_rows_;  // kTapRowsConv: one image's dY group block copied for the transposed conv
  const ConvTrainingKernels* k_;
  std::vector<PackedMatrixA> kept_;  // kGemmCol2im after keep_weights: W_g^T per group
};

// dw [M, C/group, KH, KW] = d(loss)/dw from x and dy, summed over the batch. Threads take
// fixed ranges of images into partial sums added in a fixed order, so a given thread count
// always gives the same bits.
class Conv2dBackwardWeight {
 public:
  enum class Algorithm {
    // A tier with tap-rows kernels (AVX2, AVX-512): dot products of dY rows with contiguous runs
    // of a tap-rows copy of the input
    // (conv2d_weight_grad_dot.h); no transposes, reduced once per few images. For few
    // channels or taps, or large planes.
    kTapRowsDot,
    // Any CPU, the rest: per group one GEMM dW = dY [M/group, OH*OW] x im2col(X)^T per image, C
    // accumulating over images, with im2col^T packed from a zero-padded channels-last copy
    // (conv2d_weight_grad_packer.h).
    kChannelsLastGemm,
  };
  static bool supports_tap_rows_dot(const Conv2dShape& s, Isa isa = active_isa());

  // UnsupportedError if `force` cannot run this shape. The kernels (tap rows, channels-last
  // packing, GEMM) are those of `isa`'s tier.
  explicit Conv2dBackwardWeight(const Conv2dShape& s, std::optional<Algorithm> force = std::nullopt,
                                Isa isa = active_isa());
  // Overwrites dw.
  void run(const float* x, const float* dy, float* dw, ThreadPool* pool) const;
  Algorithm algorithm() const { return algorithm_; }

 private:
  Conv2dShape s_;
  Algorithm algorithm_;
  int64_t taps_ = 0;  // C/group * KH * KW: dW columns per output channel
  TapRows tap_rows_;  // kTapRowsDot: the per-image copy of the input
  // kChannelsLastGemm: per tap in (kh, kw, c) order, its offset in the channels-last copy.
  std::vector<int32_t> gemm_tap_offset_;
  Isa isa_;
  const ConvTrainingKernels* k_;
};

void conv2d_backward_data_reference(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx);
void conv2d_backward_weight_reference(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw);

}  // namespace sinter
