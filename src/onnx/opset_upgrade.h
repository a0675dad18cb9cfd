#pragma once
// Moves a graph to a newer default-domain opset by rewriting the nodes whose form changed on the
// way, so a file written at the new opset computes what the old graph did. From opset 13 up to
// 21 two forms change for sinter's operators, both at 18: the reductions other than ReduceSum take
// their axes as an input instead of an attribute, and a Split without sizes must say how many
// parts it makes (num_outputs). Every other change between 13 and 21 only adds types, attributes
// with defaults or optional inputs.
#include <cstdint>

#include "ir/graph.h"

namespace sinter {

// Rewrites `g` (at opset 13 or later) to opset `to` (at most 21). Throws InputError for an opset
// outside that range.
void upgrade_opset(Graph& g, int64_t to);

}  // namespace sinter
