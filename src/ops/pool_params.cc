#include "ops/pool_params.h"

#include <algorithm>

#include "core/error.h"

namespace sinter {

WindowGeometry pool_geometry(const Node& node, const Shape& x) {
  if (!node.has_attr("kernel_shape"))
    throw ModelError(cat(node.describe(), ": missing required attribute 'kernel_shape'"));
  WindowGeometry g = window_geometry(node, {x.begin() + 2, x.end()},
                                     node.attr_ints_in("kernel_shape", {}, 1, kMaxWindowAttribute),
                                     node.attr_int("ceil_mode", 0) != 0);
  for (size_t i = 0; i < g.kernel.size(); ++i) {
    const int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (std::max(g.pads_begin[i], g.pads_end[i]) >= extent)
      throw ModelError(cat(node.describe(), ": attribute 'pads' (", g.pads_begin[i], ", ",
                           g.pads_end[i], ") must be smaller than the window's extent ", extent,
                           " in spatial dim ", i));
  }
  return g;
}

namespace {

kernels::Pool2dParams plane_params(const Node& node, const Window2d& w, int64_t batch,
                                   int64_t channels, int64_t in_h, int64_t in_w) {
  kernels::Pool2dParams p;
  p.batch = batch;
  p.channels = channels;
  p.in_h = in_h;
  p.in_w = in_w;
  p.kernel_h = w.kernel_h;
  p.kernel_w = w.kernel_w;
  p.stride_h = w.stride_h;
  p.stride_w = w.stride_w;
  p.dilation_h = w.dilation_h;
  p.dilation_w = w.dilation_w;
  p.pad_top = w.pad_top;
  p.pad_left = w.pad_left;
  p.pad_bottom = w.pad_bottom;
  p.pad_right = w.pad_right;
  p.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  p.count_include_pad = node.attr_int("count_include_pad", 0) != 0;
  return p;
}

}  // namespace

kernels::Pool2dParams pool_params(const Node& node, const Shape& x) {
  WindowGeometry g = pool_geometry(node, x);
  const kernels::Pool2dParams p =
      plane_params(node, window_2d(g), x[0], x[1], x.size() == 3 ? 1 : x[2], x.back());
  SINTER_CHECK(p.out_w() == g.out.back() && (g.out.size() == 1 || p.out_h() == g.out[0]),
               node.describe(), ": pool kernel and shape inference disagree on the output size");
  return p;
}

kernels::Pool3dParams pool3d_params(const Node& node, const Shape& x) {
  WindowGeometry g = pool_geometry(node, x);
  kernels::Pool3dParams p;
  p.in_d = x[2];
  p.kernel_d = g.kernel[0];
  p.stride_d = g.strides[0];
  p.dilation_d = g.dilations[0];
  p.pad_front = g.pads_begin[0];
  p.pad_back = g.pads_end[0];
  // Height and width: the 2-D window of the last two spatial dims.
  WindowGeometry hw = g;
  for (auto* v :
       {&hw.kernel, &hw.strides, &hw.dilations, &hw.pads_begin, &hw.pads_end, &hw.in, &hw.out})
    v->erase(v->begin());
  p.plane = plane_params(node, window_2d(hw), x[0], x[1], x[3], x[4]);
  SINTER_CHECK(p.out_d() == g.out[0] && p.plane.out_h() == g.out[1] && p.plane.out_w() == g.out[2],
               node.describe(), ": pool kernel and shape inference disagree on the output size");
  return p;
}

}  // namespace sinter
