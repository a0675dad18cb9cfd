#pragma once
// Resize of a float32 tensor (ONNX Resize and Upsample): every output coordinate maps back to a
// point of the input along each axis, and the output is the interpolation of the input there,
// separable over the axes. An axis samples through taps: the input indices (clamped to the
// tensor, as an edge-padded input would give) and their weights.
#include <cstdint>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace sinter::kernels {

enum class ResizeMode { kNearest, kLinear, kCubic };

// How an output coordinate maps back to the input (ONNX's coordinate_transformation_mode).
enum class CoordinateMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};

// How nearest mode rounds a coordinate that falls between two input indices.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeOptions {
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateMode coordinates = CoordinateMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  // Taps outside the input get weight 0 and the rest are renormalized (instead of clamping).
  bool exclude_outside = false;
  // Linear and cubic widen their filter by 1 / scale when downsampling.
  bool antialias = false;
  // Written where tf_crop_and_resize maps outside the input.
  float extrapolation_value = 0.f;
};

// One axis: its sizes, the scale the coordinates use, and (tf_crop_and_resize) the region of
// interest in normalized input coordinates.
struct AxisGeometry {
  int64_t in = 1, out = 1;
  double scale = 1.0;
  double roi_start = 0.0, roi_end = 1.0;
  bool operator==(const AxisGeometry&) const = default;
};

// The taps of one output coordinate; `outside` when it maps outside the input under
// tf_crop_and_resize (the output is then the extrapolation value).
struct AxisSample {
  bool outside = false;
  std::vector<int64_t> index;
  std::vector<double> weight;
};

// The input point output coordinate `o` maps to along `axis`.
double original_coordinate(const ResizeOptions& opt, const AxisGeometry& axis, int64_t o);

// The taps of output coordinate `o` along `axis`.
AxisSample sample_axis(const ResizeOptions& opt, const AxisGeometry& axis, int64_t o);

// Every output coordinate's taps along one axis, `taps` per coordinate (zero weights pad the
// shorter ones), computed once per shape.
struct AxisTaps {
  int64_t in = 1, out = 1;
  int taps = 1;
  std::vector<int64_t> index;  // [out, taps]
  std::vector<float> weight;   // [out, taps]
  std::vector<uint8_t> outside;
  // Output o is input o: the axis needs no pass.
  bool identity = false;
};
AxisTaps axis_taps(const ResizeOptions& opt, const AxisGeometry& axis);

// A resize planned for one shape: the taps of every axis and the order the passes run in.
struct ResizePlan {
  ResizeOptions options;
  std::vector<AxisTaps> axes;
  std::vector<size_t> pass_order;  // the axes that need a pass, most shrinking first
};
ResizePlan plan_resize(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes);

// The intermediate tensors between passes (counted against the memory limit as any tensor),
// kept by the caller from one run to the next.
struct ResizeScratch {
  Tensor buffers[2];
};

// x has the axes' input sizes, y their output sizes. One pass per resized axis, each a tight loop
// over rows with the taps precomputed; passes are split over `pool` (may be null).
void resize(const ResizePlan& plan, const float* x, float* y, ResizeScratch& scratch,
            ThreadPool* pool);

// Plain loops: every output element sums the product of its axes' taps, by definition.
void resize_reference(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes,
                      const float* x, float* y);

// The gradient: the resize is y = A x (plus the extrapolation value, which no input reaches), so
// dx = A^T dy. dy has the axes' output sizes, dx their input sizes. The passes of resize() run
// transposed and in reverse, each scattering an output row's gradient onto its taps' rows.
void resize_backward(const ResizePlan& plan, const float* dy, float* dx, ResizeScratch& scratch,
                     ThreadPool* pool);
// Plain loops: every output element's gradient added to every combination of its taps.
void resize_backward_reference(const ResizeOptions& opt, const std::vector<AxisGeometry>& axes,
                               const float* dy, float* dx);

}  // namespace sinter::kernels
