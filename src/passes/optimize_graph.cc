#include "passes/optimize_graph.h"

#include "core/error.h"
#include "passes/blocked_layout.h"
#include "passes/constant_fold.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_batchnorm.h"
#include "passes/fold_shape_ops.h"
#include "passes/fuse_activation.h"
#include "passes/fuse_conv_max_pool.h"
#include "passes/fuse_gelu.h"
#include "passes/fuse_layer_norm.h"
#include "passes/fuse_pad_into_pool.h"
#include "passes/integer_layers.h"
#include "passes/remove_identity.h"
#include "passes/remove_zero_filters.h"

namespace sinter {

std::string OptimizeStats::summary() const {
  return cat("folded ", constants_folded, " constant and ", shape_ops_folded,
             " shape nodes, removed ", identities_removed, " identities and ", dead_nodes_removed,
             " dead nodes, folded ", batchnorms_folded, " batch norms, removed ",
             zero_filters_removed, " zero filters, fused ", nodes_fused, " nodes, blocked ",
             blocked_nodes, " nodes' layout, ran ", integer_layers, " layers on integers");
}

OptimizeStats optimize_graph(Graph& g, const ConstantValues& input_values,
                             const OptimizeOptions& options) {
  OptimizeStats s;
  if (options.integer_layers) {
    infer_graph(g, input_values);
    s.integer_layers = use_integer_layers(g);
  }
  for (;;) {
    infer_graph(g, input_values);
    int shape = fold_shape_ops(g);
    int folded = constant_fold(g);
    s.shape_ops_folded += shape;
    s.constants_folded += folded;
    if (shape == 0 && folded == 0) break;
  }
  s.identities_removed = remove_identity(g);
  s.dead_nodes_removed = eliminate_dead_nodes(g);
  s.batchnorms_folded = fold_batchnorm(g);
  infer_graph(g, input_values);
  // After BatchNorm folding: a pruned filter is only exactly zero once its BN is folded in.
  s.zero_filters_removed = remove_zero_filters(g);
  if (s.zero_filters_removed > 0) infer_graph(g, input_values);
  s.nodes_fused = fuse_activation(g) + fuse_pad_into_pool(g) + fuse_gelu(g) + fuse_layer_norm(g);
  s.dead_nodes_removed += eliminate_dead_nodes(g);
  infer_graph(g, input_values);
  // After activation fusion, on its FusedConv nodes, with their shapes inferred.
  if (const int pooled = fuse_conv_max_pool(g, options.sparse_kernels); pooled > 0) {
    s.nodes_fused += pooled;
    infer_graph(g, input_values);
  }
  // Last: the layout pass reads the fused nodes, and no pass after it knows the blocked ops.
  if (options.blocked_layout) {
    s.blocked_nodes = use_blocked_layout(g, options.sparse_kernels);
    if (s.blocked_nodes > 0) infer_graph(g, input_values);
  }
  return s;
}

}  // namespace sinter
