#pragma once
// Gradual magnitude pruning (Zhu & Gupta, "To prune, or not to prune", 2017): the sparsity rises
// from 0 to its final value along a cubic curve while the model trains, fast at first, when
// there are many redundant weights, and slowly at the end, so training can recover from each
// cut. Between cuts the masks are held as in masked retraining.
#include <cstdint>
#include <memory>
#include <vector>

#include "compress/masked_training.h"
#include "compress/prune_plan.h"
#include "train/trainer.h"

namespace sinter {

// s(step) = final * (1 - (1 - p)^3) with p = (step - begin) / (end - begin) clamped to [0, 1]:
// 0 up to `begin`, `final_sparsity` from `end` on. Throws InputError unless begin < end.
double gradual_sparsity(double final_sparsity, int64_t step, int64_t begin, int64_t end);

struct GradualPruningOptions {
  int64_t end_step = 1;  // trainer steps, counted from the pruner's construction, to full sparsity
  int64_t interval = 1;  // steps between cuts
};

class GradualPruner {
 public:
  // Masks nothing at first; every `interval` steps until end_step (and at end_step) it projects
  // the targets' weights at gradual_sparsity(scheme's sparsity, ...) and holds the new masks.
  // Installs the trainer's hooks until destroyed. Throws InputError for a scheme whose sparsity
  // is not free (N:M, pattern), end_step or interval < 1. The trainer and the plan must outlive
  // the pruner.
  GradualPruner(Trainer& trainer, const PrunePlan& plan, GradualPruningOptions options);

  double sparsity() const { return sparsity_; }  // of the current masks' target
  const std::vector<Mask>& masks() const { return masked_->masks(); }

 private:
  void cut(int64_t step);

  Trainer& trainer_;
  const PrunePlan& plan_;
  GradualPruningOptions options_;
  int64_t first_step_;
  double sparsity_ = 0.0;
  std::unique_ptr<MaskedTraining> masked_;
};

}  // namespace sinter
