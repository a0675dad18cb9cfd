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

// Resolves the window attributes of `node` for spatial input sizes `in` (may hold -1) and
// kernel sizes `kernel`. ceil_mode rounds output sizes up (pools only). Throws ModelError
// naming the node for inconsistent attributes or windows larger than the padded input.
WindowGeometry window_geometry(const Node& node, const std::vector<int64_t>& in,
                               const std::vector<int64_t>& kernel, bool ceil_mode);

}  // namespace sinter
