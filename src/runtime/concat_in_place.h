#pragma once
// Concat without copying: when every input of a Concat occupies one contiguous byte range of its
// output (all dims before the axis are 1, as in a batch-1 channel concat), the producers write
// straight into those ranges and the Concat step does nothing.
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ir/graph.h"

namespace sinter {

struct ConcatPart {
  std::string concat_output;  // the value whose bytes this one occupies
  size_t byte_offset = 0;
};

struct ConcatInPlace {
  std::unordered_map<std::string, ConcatPart> parts;  // concat input -> where it lives
  std::unordered_set<std::string> concat_outputs;     // outputs of the Concats made no-ops
};

// Picks the Concats whose inputs are all intermediate values made by a kernel (not graph inputs,
// constants, graph outputs or views of another value), each used once by that Concat and by no
// other Concat in place. `g` must have static shapes for those values.
ConcatInPlace plan_concat_in_place(const Graph& g);

}  // namespace sinter
