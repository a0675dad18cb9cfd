// 3-D pooling as two passes of the 2-D kernels: height and width first (the larger reduction, so
// the depth pass reads the smaller intermediate), then depth.
#include "kernels/pool/pool3d.h"

namespace sinter::kernels {

int64_t Pool3dParams::out_d() const {
  return pool_out_size(in_d, kernel_d, stride_d, pad_front, pad_back, dilation_d, plane.ceil_mode);
}

Pool2dParams depth_planes_pass(const Pool3dParams& p) {
  Pool2dParams q = p.plane;
  q.batch = p.plane.planes() * p.in_d;
  q.channels = 1;
  q.in_plane = q.out_plane = 0;
  return q;
}

Pool2dParams depth_pass(const Pool3dParams& p) {
  Pool2dParams q;
  q.batch = p.plane.planes();
  q.in_h = p.in_d;
  q.in_w = p.plane.out_h() * p.plane.out_w();
  q.kernel_h = p.kernel_d;
  q.stride_h = p.stride_d;
  q.dilation_h = p.dilation_d;
  q.pad_top = p.pad_front;
  q.pad_bottom = p.pad_back;
  q.ceil_mode = p.plane.ceil_mode;
  q.count_include_pad = p.plane.count_include_pad;
  return q;
}

namespace {

using Pool2d = void (*)(const Pool2dParams&, const float*, float*, ThreadPool*);

// Whether a window leaves every value where it is: one tap, stride 1, no padding.
bool is_identity(int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end) {
  return kernel == 1 && stride == 1 && pad_begin == 0 && pad_end == 0;
}

void two_passes(const Pool3dParams& p, const float* x, float* y, Tensor& scratch, ThreadPool* pool,
                Pool2d pool2d) {
  const Pool2dParams planes = depth_planes_pass(p), depth = depth_pass(p);
  const Pool2dParams& q = p.plane;
  if (q.planes() * p.out_d() * q.out_h() * q.out_w() == 0) return;
  // A pass whose window is one tap everywhere is skipped (C3D's first pool is 1 x 2 x 2).
  if (is_identity(p.kernel_d, p.stride_d, p.pad_front, p.pad_back)) {
    pool2d(planes, x, y, pool);
    return;
  }
  if (is_identity(q.kernel_h, q.stride_h, q.pad_top, q.pad_bottom) &&
      is_identity(q.kernel_w, q.stride_w, q.pad_left, q.pad_right)) {
    pool2d(depth, x, y, pool);
    return;
  }
  const int64_t between = planes.planes() * planes.out_h() * planes.out_w();
  if (scratch.numel() < between) scratch = Tensor(DType::kFloat32, {between});
  float* mid = scratch.data<float>();
  pool2d(planes, x, mid, pool);
  pool2d(depth, mid, y, pool);
}

}  // namespace

void max_pool3d(const Pool3dParams& p, const float* x, float* y, Tensor& scratch,
                ThreadPool* pool) {
  two_passes(p, x, y, scratch, pool, max_pool2d);
}

void avg_pool3d(const Pool3dParams& p, const float* x, float* y, Tensor& scratch,
                ThreadPool* pool) {
  two_passes(p, x, y, scratch, pool, avg_pool2d);
}

}  // namespace sinter::kernels
