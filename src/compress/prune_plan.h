#pragma once
// Which weights of a model a pruning run prunes, and the projection each one takes.
//
// The rule:
// - Conv weights [out, in/group, k...] and Gemm weights B (either layout) held as float32
//   initializers of more than one element are prunable. Biases, BatchNorm parameters and 1-element
//   tensors never are, nor MatMul weights or anything else.
// - The stem (a Conv reading a graph input: one channel for Fashion-MNIST) and the classifier (the
//   last Conv/Gemm of the graph, when it is a Gemm) stay dense unless `prune_ends` is set: they
//   hold few weights and cost the most accuracy per weight pruned. Even then filter pruning leaves
//   the classifier alone, since its filters are the classes.
// - Under the pattern scheme, 3x3 convs take pattern + connectivity pruning; the other convs and
//   Gemms take unstructured pruning at the scheme's sparsity, or stay dense when it is 0.
// - A weight read by several nodes takes the rule of its first reader.
// - Filter pruning also zeroes each pruned filter's bias and BatchNorm scale and shift.
// - Per-layer sparsities (ADMM-NN prunes each layer at its own rate) override the scheme's for
//   the weights they name, stem and classifier included; 0 leaves a weight dense.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compress/mask.h"
#include "compress/pattern_set.h"
#include "compress/prune_scheme.h"
#include "ir/graph.h"

namespace sinter {

struct PruneTarget {
  std::string weight;       // the initializer
  std::string node;         // its (first) reader, for messages
  bool pattern = false;     // a 3x3 conv under the pattern scheme
  bool transposed = false;  // Gemm B stored [in, out] (transB = 0): projected as [out, in]
  double sparsity = 0.0;    // the pruned fraction: the scheme's, or the layer's own
  // Filter scheme: the per-output-channel parameters zeroed with a pruned filter (the layer's
  // bias; the scale and shift of a BatchNormalization reading its output), so that the channel
  // is exactly zero after the activation and a compiler can remove it (remove_zero_filters).
  std::vector<std::string> channel_params;
};

struct PruneRules {
  bool prune_ends = false;  // prune the stem and the classifier too
  // Weight name -> its sparsity in [0, 1), instead of the scheme's; only for schemes with a
  // free sparsity (and for the non-3x3 layers under the pattern scheme).
  std::map<std::string, double> layer_sparsity;
};

class PrunePlan {
 public:
  // Finds the targets in `model` and, for the pattern scheme, chooses the pattern set from their
  // current weights (PatDNN takes it from the trained model). Throws InputError for an invalid
  // scheme (validate_prune_scheme), a per-layer sparsity outside [0, 1), naming no prunable
  // weight or given to a scheme that fixes its own, or when nothing in the model is prunable,
  // saying why.
  PrunePlan(const Graph& model, PruneScheme scheme, PruneRules rules = {});

  const PruneScheme& scheme() const { return scheme_; }
  const std::vector<PruneTarget>& targets() const { return targets_; }
  // "name (why)" for each Conv/Gemm weight the rule leaves dense, for reports.
  const std::vector<std::string>& left_dense() const { return left_dense_; }
  // Empty unless the scheme is kPattern and the model has 3x3 convs.
  const std::vector<KernelPattern>& pattern_set() const { return pattern_set_; }

  // The mask of the Euclidean projection of `w` (target t's current value) onto its constraint
  // set. The second form replaces the target's sparsity (gradual pruning ramps it); it must be
  // in [0, 1).
  Mask project(size_t t, const Tensor& w) const;
  Mask project(size_t t, const Tensor& w, double sparsity) const;

 private:
  PruneScheme scheme_;
  std::vector<PruneTarget> targets_;
  std::vector<std::string> left_dense_;
  std::vector<KernelPattern> pattern_set_;
};

}  // namespace sinter
