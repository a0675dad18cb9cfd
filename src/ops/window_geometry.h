#pragma once
// Output sizes and padding of sliding-window ops (Conv, MaxPool, AveragePool): kernel_shape,
// strides, dilations, pads and auto_pad resolved once, the same way for all of them.
#include <cstdint>
#include <vector>

#include "core/shape.h"
#include "ir/node.h"

namespace sinter {

struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations, pads_begin, pads_end;
  std::vector<int64_t> in, out;  // spatial sizes; -1 where unknown before run time

  int64_t spatial_rank() const { return static_cast<int64_t>(kernel.size()); }
};

// A 1-D or 2-D window as the 2-D kernels take it: a 1-D window is a 2-D one of height 1.
struct Window2d {
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};
Window2d window_2d(const WindowGeometry& g);

// Resolves the window attributes of `node` for spatial input sizes `in` (may hold -1) and
// kernel sizes `kernel`. ceil_mode rounds output sizes up (pools only). Throws ModelError naming
// the node and the attribute for inconsistent attributes, values outside [1, 2^31 - 1] (pads: [0,
// 2^31 - 1]), a pad larger than both the window and the input, or a window larger than the padded
// input.
WindowGeometry window_geometry(const Node& node, const std::vector<int64_t>& in,
                               const std::vector<int64_t>& kernel, bool ceil_mode);

}  // namespace sinter
