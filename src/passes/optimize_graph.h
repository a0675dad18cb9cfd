#pragma once
#include <string>

#include "ops/infer_graph.h"

namespace sinter {

struct OptimizeStats {
  int constants_folded = 0;
  int shape_ops_folded = 0;
  int identities_removed = 0;
  int batchnorms_folded = 0;
  int zero_filters_removed = 0;
  int nodes_fused = 0;
  int dead_nodes_removed = 0;
  int blocked_nodes = 0;
  int integer_layers = 0;
  std::string summary() const;
};

struct OptimizeOptions {
  // Move convolution regions into the channel-blocked layout (passes/blocked_layout.h). For
  // inference: the gradient ops read and write NCHW.
  bool blocked_layout = false;
  // Whether plans may choose sparse kernels (layers they would take stay out of blocked regions).
  bool sparse_kernels = true;
  // Run the quantized layers of QDQ models on integers (passes/integer_layers.h); false
  // dequantizes their weights and runs them in float.
  bool integer_layers = false;
};

// The standard pipeline, for a graph whose input types are set: infer types, fold shape ops and
// constants until nothing changes (after, when asked, moving quantized layers onto integers), drop
// identities and dead nodes, fold BatchNorm, remove all-zero conv filters (filter-pruned models),
// fuse activations and residual adds, fold zero Pads into average pools, and, when asked, block
// the layout of convolution regions;
// leaves every value's type inferred.
OptimizeStats optimize_graph(Graph& g, const ConstantValues& input_values = {},
                             const OptimizeOptions& options = {});

}  // namespace sinter
