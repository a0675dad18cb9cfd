#include "compress/gradual_pruning.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace sinter {

double gradual_sparsity(double final_sparsity, int64_t step, int64_t begin, int64_t end) {
  if (begin >= end)
    throw InputError(
        cat("gradual pruning: the ramp must end after it begins, got steps ", begin, " to ", end));
  const double p =
      std::clamp(static_cast<double>(step - begin) / static_cast<double>(end - begin), 0.0, 1.0);
  const double left = 1.0 - p;
  return final_sparsity * (1.0 - left * left * left);
}

GradualPruner::GradualPruner(Trainer& trainer, const PrunePlan& plan, GradualPruningOptions options)
    : trainer_(trainer), plan_(plan), options_(options), first_step_(trainer.steps()) {
  if (!has_free_sparsity(plan_.scheme()))
    throw InputError(cat("gradual pruning ramps a sparsity, and scheme ",
                         scheme_name(plan_.scheme()),
                         " fixes its own; use one-shot magnitude or ADMM pruning for it"));
  if (options_.end_step < 1 || options_.interval < 1)
    throw InputError(
        cat("gradual pruning: the ramp length and the interval must be >= 1 step, got ",
            options_.end_step, " and ", options_.interval));
  std::vector<Mask> keep_all;
  for (const Parameter& p : target_parameters(trainer_, plan_))
    keep_all.emplace_back(p.value->shape(), std::vector<uint8_t>(p.value->numel(), 1));
  masked_ = std::make_unique<MaskedTraining>(trainer_, plan_, std::move(keep_all));
  // After the masks are applied again, cut where the schedule says; set_masks applies the new ones.
  trainer_.on_update = [this, hold = trainer_.on_update](Trainer& tr) {
    hold(tr);
    const int64_t step = tr.steps() - first_step_;
    if (step <= options_.end_step && (step % options_.interval == 0 || step == options_.end_step))
      cut(step);
  };
}

void GradualPruner::cut(int64_t step) {
  sparsity_ = gradual_sparsity(plan_.scheme().sparsity, step, 0, options_.end_step);
  const std::vector<Parameter> params = target_parameters(trainer_, plan_);
  std::vector<Mask> masks;
  for (size_t t = 0; t < params.size(); ++t)
    masks.push_back(
        plan_.project(t, *params[t].value,
                      gradual_sparsity(plan_.targets()[t].sparsity, step, 0, options_.end_step)));
  masked_->set_masks(std::move(masks));
}

}  // namespace sinter
