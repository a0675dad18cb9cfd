#pragma once
// What a Resize or Upsample node asks for: its attributes as ResizeOptions, and per axis the
// input and output sizes, the scale and the region of interest, from the values of its 'roi',
// 'scales' and 'sizes' inputs (or Upsample-7's 'scales' attribute). Shape inference and the
// kernels read a node through these, so both judge its inputs alike.
#include <functional>
#include <string>
#include <vector>

#include "ir/node.h"
#include "kernels/resize/resize.h"

namespace sinter {

// Resize before opset 11 and Upsample are "legacy": scales only, asymmetric coordinates.
struct ResizeSignature {
  bool upsample = false;
  int64_t opset = 13;
};

// The node's attributes; a bad or misplaced one is a ModelError naming the node.
kernels::ResizeOptions resize_options(const Node& node, const ResizeSignature& sig);

// Input positions of 'roi', 'scales' and 'sizes' (-1: the signature has no such input).
struct ResizeInputSlots {
  int roi = -1, scales = -1, sizes = -1;
};
ResizeInputSlots resize_input_slots(const ResizeSignature& sig);

// Every axis of an input of shape `in` (all dims known). `values[i]` is input i's value, null when
// the input is omitted. A bad value (both scales and sizes, a count that does not match the axes,
// a scale or size that is not positive) calls `fail` with the reason, which must throw.
std::vector<kernels::AxisGeometry> resize_geometry(
    const Node& node, const ResizeSignature& sig, const Shape& in,
    const std::vector<const Tensor*>& values, const std::function<void(const std::string&)>& fail);

}  // namespace sinter
