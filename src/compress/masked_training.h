#pragma once
// Hard pruning and masked retraining: a plan's targets pruned to their projections' masks, and the
// masks held through training so that pruned weights stay exactly zero.
#include <vector>

#include "compress/mask.h"
#include "compress/prune_plan.h"
#include "ir/graph.h"
#include "train/trainer.h"

namespace sinter {

// The trainer's parameter for each of the plan's targets, in target order. Throws InputError
// naming a target the trainer does not train.
std::vector<Parameter> target_parameters(const Trainer& trainer, const PrunePlan& plan);

// One-shot pruning of `model`: each target's mask is the projection of its current weights (for
// unstructured pruning, magnitude pruning), applied in place. Returns the masks in target order.
std::vector<Mask> hard_prune(Graph& model, const PrunePlan& plan);

// The 1-D mask of the filters (output channels: dim 0, or dim 1 of a transposed Gemm weight)
// that keep any weight under `m`.
Mask kept_filters(const Mask& m, bool transposed);

// Zeroes each target's channel_params (filter pruning) where its mask removed the whole filter.
void zero_pruned_channels(Graph& model, const PrunePlan& plan, const std::vector<Mask>& masks);

// The pruned fraction of the targets' weights together, counted from their zeros.
double target_sparsity(const Graph& model, const PrunePlan& plan);

// Keeps `masks` (one per target, in order) on a trainer's weights while it trains: installs the
// trainer's on_gradients and on_update hooks, which the destructor removes again. Pruned
// gradients are zeroed, so momentum never builds up behind a pruned weight and clipping sees
// only live gradients; after every update the masks are applied again, so nothing the optimizer
// does (weight decay, momentum) can move a pruned weight off zero. The weights are masked once at
// construction too. Under filter pruning the targets' channel_params are held at zero for the
// pruned filters in the same way. The trainer must outlive it.
class MaskedTraining {
 public:
  MaskedTraining(Trainer& trainer, const PrunePlan& plan, std::vector<Mask> masks);
  ~MaskedTraining();
  MaskedTraining(const MaskedTraining&) = delete;
  MaskedTraining& operator=(const MaskedTraining&) = delete;

  const std::vector<Mask>& masks() const { return masks_; }
  // Replaces the masks (gradual pruning tightens them) and applies them at once.
  void set_masks(std::vector<Mask> masks);

 private:
  void apply();

  Trainer& trainer_;
  const PrunePlan& plan_;
  std::vector<Parameter> params_;
  std::vector<Mask> masks_;
  // Filter pruning: the channel parameters and the kept-filter mask each is held to.
  std::vector<Parameter> channel_params_;
  std::vector<Mask> channel_masks_;
};

}  // namespace sinter
