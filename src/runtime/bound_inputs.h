#pragma once
// The concrete input shapes that `info`, `bench` and `compile` choose for a model whose inputs have
// dynamic dims, and the inputs they run it on.
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace sinter {

// A model input with every dimension made concrete.
struct BoundInput {
  std::string name;
  DType dtype;
  Shape shape;
};

// Dynamic dims (-1) become `batch` for the first dim and 1 elsewhere; a fixed first dim stays,
// and `batch` is then not applied. Each choice is described in `notes`.
std::vector<BoundInput> bind_input_shapes(const Graph& g, int64_t batch, bool batch_given,
                                          std::vector<std::string>& notes);

// Inputs for the bound shapes. Floats are uniform in [-1, 1) from a fixed seed when `random`,
// zero otherwise; integers and bools are always zero, since they often index or shape something
// and zero is always in range.
std::unordered_map<std::string, Tensor> make_inputs(const std::vector<BoundInput>& bound,
                                                    bool random);

}  // namespace sinter
