#pragma once
// Dense fp32 2-D convolution in NCHW, planned once per layer: weights are packed into the GEMM
// micro-kernel's layout at construction, and run() computes y = act(conv(x, w) + bias + residual)
// with the bias, residual and activation fused into the GEMM store.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm/sgemm.h"

namespace sinter {

class ThreadPool;
class Conv2dWinograd;
class Conv2dDirect;
class Conv2dPlane;
class Conv2dDwm;

struct Conv2dShape {
  int64_t N = 1, C = 1, H = 1, W = 1;  // input
  int64_t M = 1;                       // output channels
  int64_t KH = 1, KW = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t group = 1;

  int64_t OH() const {
    return (H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) / stride_h + 1;
  }
  int64_t OW() const {
    return (W + pad_left + pad_right - dilation_w * (KW - 1) - 1) / stride_w + 1;
  }
  // Throws InputError when the shape is inconsistent (groups not dividing C or M, empty output).
  void validate() const;
  // Whether a zero-padded copy of the input stays near its size (kernels/padded_copy.h).
  bool padded_copy_is_small() const;
};

// The direct 7-loop convolution: weights [M, C/group, KH, KW], optional bias [M] and residual
// (shaped like y, added before the activation). The reference every fast path is tested against.
void conv2d_reference(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                      const float* residual, const Activation& act, float* y);

class Conv2d {
 public:
  enum class Algorithm {
    kGemm1x1,         // 1x1, no padding: GEMM straight on the NCHW input (on its strided
                      // pixels, gathered once, at a stride above 1)
    kImplicitGemm,    // anything else: the GEMM's B packing reads the image with conv indexing
    kWinograd,        // 3x3 stride 1, ungrouped, >= 64 channels in and out, enough output
                      // tiles (more below 128 input channels): F(4x4, 3x3)
    kDirect,          // at most 4 input channels (image stems), AVX2: direct register-blocked loops
    kGemmTransposed,  // ungrouped, on a small plane (7x7, 14x14): y^T = im2col(x)^T w^T with
                      // output channels as the vector dimension (x itself for a pointwise conv),
                      // then one transposing pass applies the epilogue
    kPlane,           // other windows on planes wide enough: the padded input plane (split
                      // into stride phases) is B as it stands, each tap a shifted view, so
                      // nothing is packed (kernels/conv/conv2d_plane.h)
    kDwm,             // windows over 3x3 at stride 1, or at stride 2, as 3x3 Winograd pieces
                      // (kernels/conv/conv2d_dwm.h); chosen for stride-2 5x5 and 6x6 windows
                      // on many channels (Conv2dDwm::pays), elsewhere only when forced (a tuner
                      // measured it faster)
  };

  // Copies what it needs: weights are packed, bias copied. bias may be null. `force` overrides
  // the choice (tests, benchmarks); UnsupportedError if it cannot run this shape.
  Conv2d(const Conv2dShape& shape, const float* weights, const float* bias, const Activation& act,
         std::optional<Algorithm> force = std::nullopt);
  ~Conv2d();
  Conv2d(Conv2d&&) noexcept;

  // What the constructor picks for this shape when nothing is forced.
  static Algorithm choose(const Conv2dShape& s);
  // Whether `a` can run this shape (what forcing it needs).
  static bool supports(Algorithm a, const Conv2dShape& s);
  // "gemm1x1", "implicit_gemm", "winograd", "direct", "gemm_t", "plane", "dwm"; and back
  // (nullopt for any other name).
  static const char* algorithm_name(Algorithm a);
  static std::optional<Algorithm> algorithm_named(const std::string& name);
  static const std::vector<std::string>& algorithm_names();
  // Picks kGemmTransposed when the GEMM's row tiles (mr pixels) would waste less of a small
  // plane than its column tiles (nr pixels), the output channels fill whole column tiles and
  // the packed im2col^T stays within 16 MB; a small plane is at most 64 pixels, or 196 for a
  // strided window over many input channels.
  static bool prefers_transposed(const Conv2dShape& s);

  // x: [N, C, H, W], y: [N, M, OH, OW], residual: null or shaped like y. No scratch is needed
  // from the caller; packing buffers are per thread and bounded by the GEMM's cache blocks.
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;

  const Conv2dShape& shape() const { return shape_; }
  Algorithm algorithm() const { return algorithm_; }

 private:
  void run_transposed(const float* x, float* y, const float* residual, ThreadPool* pool) const;

  Conv2dShape shape_;
  Algorithm algorithm_;
  std::vector<PackedMatrixA> weights_;  // GEMM paths, one per group: [M/group, C/group*KH*KW]
  std::unique_ptr<Conv2dWinograd> winograd_;
  std::unique_ptr<Conv2dDirect> direct_;
  std::unique_ptr<Conv2dPlane> plane_;
  std::unique_ptr<Conv2dDwm> dwm_;
  std::unique_ptr<PackedMatrixB> weights_t_;  // kGemmTransposed: w^T [C*KH*KW, M]
  std::vector<float> bias_;
  Activation act_;
};

}  // namespace sinter
