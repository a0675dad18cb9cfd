#include "ops/window_geometry.h"

#include <string>

#include "core/checked_math.h"
#include "core/error.h"

namespace sinter {

namespace {

// Per-dim attribute values within [lo, kMaxWindowAttribute], `expected` of them.
std::vector<int64_t> per_dim(const Node& node, const char* key, size_t rank, int64_t fallback,
                             size_t expected, int64_t lo) {
  std::vector<int64_t> v =
      node.attr_ints_in(key, std::vector<int64_t>(expected, fallback), lo, kMaxWindowAttribute);
  if (v.size() != expected)
    throw ModelError(cat(node.describe(), ": attribute '", key, "' has ", v.size(),
                         " values, expected ", expected, " for ", rank, " spatial dims"));
  return v;
}

}  // namespace

WindowGeometry window_geometry(const Node& node, const std::vector<int64_t>& in,
                               const std::vector<int64_t>& kernel, bool ceil_mode) {
  const size_t rank = in.size();
  WindowGeometry g;
  g.in = in;
  g.kernel = kernel;
  if (kernel.size() != rank)
    throw ModelError(cat(node.describe(), ": kernel has ", kernel.size(), " dims, input has ", rank,
                         " spatial dims"));
  for (size_t i = 0; i < rank; ++i)
    if (kernel[i] < 1 || kernel[i] > kMaxWindowAttribute)
      throw ModelError(cat(node.describe(), ": kernel size ", kernel[i], " in spatial dim ", i,
                           " is out of range [1, ", kMaxWindowAttribute, "]"));
  g.strides = per_dim(node, "strides", rank, 1, rank, 1);
  g.dilations = per_dim(node, "dilations", rank, 1, rank, 1);
  std::vector<int64_t> pads = per_dim(node, "pads", rank, 0, 2 * rank, 0);
  g.pads_begin.assign(pads.begin(), pads.begin() + rank);
  g.pads_end.assign(pads.begin() + rank, pads.end());
  std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID")
    throw ModelError(cat(node.describe(), ": unknown auto_pad '", auto_pad, "'"));

  g.out.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Both factors are at most kMaxWindowAttribute, so the extent fits int64.
    const int64_t extent = (kernel[i] - 1) * g.dilations[i] + 1;
    const int64_t s = g.strides[i];
    if (auto_pad == "VALID") {
      g.pads_begin[i] = g.pads_end[i] = 0;
    } else if (auto_pad != "NOTSET") {
      // SAME: output = ceil(in / stride); the odd pad goes to the end (UPPER) or begin (LOWER).
      if (in[i] < 0) {
        g.out[i] = -1;
        continue;
      }
      const int64_t out = in[i] / s + (in[i] % s != 0);
      const int64_t total =
          std::max<int64_t>(0, checked_sub(checked_add((out - 1) * s, extent), in[i]));
      const int64_t small = total / 2, big = total - small;
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? small : big;
      g.pads_end[i] = auto_pad == "SAME_UPPER" ? big : small;
    }
    if (in[i] < 0) {
      g.out[i] = -1;
      continue;
    }
    // Padding past both the window and the input only adds outputs that see nothing but zeros;
    // bounding it keeps a hostile pad from asking for gigabytes of them.
    for (const int64_t pad : {g.pads_begin[i], g.pads_end[i]})
      if (pad >= extent && pad > in[i])
        throw ModelError(cat(node.describe(), ": attribute 'pads' holds ", pad,
                             ", larger than both the window's extent ", extent, " and the input's ",
                             in[i], " in spatial dim ", i));
    const int64_t padded = checked_add(checked_add(in[i], g.pads_begin[i]), g.pads_end[i]);
    if (padded < extent)
      throw ModelError(cat(node.describe(), ": window of extent ", extent,
                           " (kernel_shape and dilations) is larger than the padded input (",
                           padded, ") in spatial dim ", i));
    const int64_t span = padded - extent;
    int64_t out = (ceil_mode ? span / s + (span % s != 0) : span / s) + 1;
    // A ceil-mode window that would start inside the end padding is dropped (as PyTorch and
    // the ONNX reference do), so every window covers at least one input element.
    if (ceil_mode && (out - 1) * s >= in[i] + g.pads_begin[i]) --out;
    g.out[i] = out;
  }
  return g;
}

Window2d window_2d(const WindowGeometry& g) {
  Window2d w;
  const size_t x = g.kernel.size() == 1 ? 0 : 1;  // index of the W dim
  w.kernel_w = g.kernel[x];
  w.stride_w = g.strides[x];
  w.dilation_w = g.dilations[x];
  w.pad_left = g.pads_begin[x];
  w.pad_right = g.pads_end[x];
  if (x == 1) {
    w.kernel_h = g.kernel[0];
    w.stride_h = g.strides[0];
    w.dilation_h = g.dilations[0];
    w.pad_top = g.pads_begin[0];
    w.pad_bottom = g.pads_end[0];
  }
  return w;
}

}  // namespace sinter
