#pragma once
// Models at default-domain opsets 1 to 6 are read by rewriting, on import, the forms of sinter's
// operators that changed by opset 7 into their opset 7 forms, which sinter runs:
// - legacy broadcasting (Add, Sub, Mul, Div, Pow, the comparisons and logical ops with
//   broadcast=1 and an axis: B lined up with A from that axis) becomes numpy broadcasting, B
//   given the trailing unit axes that line it up;
// - a 1-D PRelu slope of C values applied per channel; it gets the unit axes after the channel;
// - consumed_inputs (before 6), BatchNormalization's and Dropout's is_test, Gemm's broadcast
//   are dropped; Concat without an axis gets axis 1 (before 4); Reshape's shape attribute
//   becomes an input (before 5); Pad's paddings are pads (1); Split's sizes as an input become
//   the attribute (1); Cast's type name becomes its number (before 6).
// ONNX's own version converter does the same, but it trusts its input (a value nothing defines
// crashes it, and its shape inference divides by a zero stride) and lines legacy broadcasts up
// wrongly unless the axis is 0 (ONNX 1.12), so sinter does it on its own graph. The lining up
// needs ranks, which are propagated through the operators whose output rank follows from their
// inputs' and attributes.
#include <string>

#include "ir/graph.h"

namespace sinter {

// The lowest default-domain opset sinter reads without conversion.
constexpr int64_t kFirstNativeOpset = 7;

// Rewrites `g` (topologically sorted, at an opset below 7) to opset 7. Throws UnsupportedError
// naming `what` and the node for a form it cannot rewrite (Tile before 6, the experimental
// Upsample, training-mode BatchNormalization, a legacy broadcast over values of unknown rank),
// ModelError for an attribute of the wrong kind.
void convert_to_opset_7(Graph& g, const std::string& what);

}  // namespace sinter
