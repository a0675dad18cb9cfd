#pragma once
// Split without copying: when every output of a Split is one contiguous byte range of its input
// (all dims before the axis are 1, as in a batch-1 channel split, the split that follows merged
// sibling convolutions), the outputs are views of the input and the Split copies nothing. Outputs
// that are graph outputs or parts of an in-place Concat (runtime/concat_in_place.h) keep their own
// bytes, and the Split copies those.
#include <string>
#include <unordered_map>

#include "ir/graph.h"
#include "runtime/concat_in_place.h"

namespace sinter {

struct SplitPart {
  std::string split_input;  // the value whose bytes this one occupies
  size_t byte_offset = 0;
};

// Split output -> where it lives. `g` must have static shapes for those values.
std::unordered_map<std::string, SplitPart> plan_split_in_place(const Graph& g,
                                                               const ConcatInPlace& concat);

}  // namespace sinter
