#pragma once
// Stanza's cut of a model in two: the feature extractor (the convolutions, small in parameters
// and heavy in compute) and the classifier (the fully connected layers, heavy in parameters and
// light in compute). The cut is the input of the first fully connected layer, where the flattened
// features cross.
#include <string>

#include "ir/graph.h"

namespace sinter {

struct ClassifierSplit {
  Graph features;    // the model's input -> the cut value, [batch, features]
  Graph classifier;  // the cut value -> the model's output
  std::string cut;
};

// Cuts `model` (one input, one output, nodes in topological order) at the first input of its
// first Gemm or MatMul. Each part keeps the initializers its nodes read. Throws InputError naming
// what is wrong when the model has no such layer, the cut is not 2-D with a known number of
// features, a classifier node reads a
// feature extractor value other than the cut, or both parts read one initializer.
ClassifierSplit split_at_classifier(const Graph& model);

// `model` with the initializers of the trained parts (which the split took from it).
Graph join_parts(const Graph& model, const Graph& features, const Graph& classifier);

}  // namespace sinter
