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

kernels::Pool2dParams pool_params(const Node& node, const Shape& x) {
  WindowGeometry g = pool_geometry(node, x);
  kernels::Pool2dParams p;
  p.batch = x[0];
  p.channels = x[1];
  const Window2d w2 = window_2d(g);
  p.in_h = x.size() == 3 ? 1 : x[2];
  p.in_w = x.back();
  p.kernel_h = w2.kernel_h;
  p.kernel_w = w2.kernel_w;
  p.stride_h = w2.stride_h;
  p.stride_w = w2.stride_w;
  p.dilation_h = w2.dilation_h;
  p.dilation_w = w2.dilation_w;
  p.pad_top = w2.pad_top;
  p.pad_left = w2.pad_left;
  p.pad_bottom = w2.pad_bottom;
  p.pad_right = w2.pad_right;
  p.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  p.count_include_pad = node.attr_int("count_include_pad", 0) != 0;
  SINTER_CHECK(p.out_w() == g.out.back() && (g.out.size() == 1 || p.out_h() == g.out[0]),
               node.describe(), ": pool kernel and shape inference disagree on the output size");
  return p;
}

}  // namespace sinter
