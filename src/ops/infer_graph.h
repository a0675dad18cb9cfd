#pragma once
#include <string>
#include <unordered_map>

#include "ir/graph.h"

namespace sinter {

// Values known at compile time: initializers plus everything computed from them.
using ConstantValues = std::unordered_map<std::string, Tensor>;

// Infers the type of every value in topological order, from the types of the graph inputs in
// g.types. Nodes whose inputs are all known are evaluated with their kernels, so shape
// subgraphs (Shape -> Gather -> Concat -> Reshape) resolve to concrete shapes. `input_values`
// supplies run-time values of graph inputs that decide shapes (e.g. an int64 'shape' input);
// they are used for inference only, never folded into the graph.
// Returns the values computed here (initializers not included).
ConstantValues infer_graph(Graph& g, const ConstantValues& input_values = {});

// Runs one node on concrete inputs with its chosen kernel (single-threaded); used to fold
// constants and by tests.
std::vector<Tensor> evaluate_node(const Node& node, int64_t opset,
                                  const std::vector<const Tensor*>& inputs);

}  // namespace sinter
