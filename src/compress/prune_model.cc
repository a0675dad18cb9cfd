#include "compress/prune_model.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "compress/admm.h"
#include "compress/gradual_pruning.h"
#include "compress/masked_training.h"
#include "compress/qdq_export.h"
#include "compress/quant_aware_training.h"
#include "core/error.h"
#include "data/dataset_spec.h"

namespace sinter {

namespace {

constexpr int64_t kEvalBatch = 256;

std::string printed(const char* format, double v) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// The scheme with the request's numbers; numbers that do not apply to the scheme or method are
// errors rather than silently ignored.
PruneScheme checked_scheme(const PruneRequest& r) {
  PruneScheme s = parse_prune_scheme(r.scheme);
  const bool gradual = r.method == PruneMethod::kGradual;
  if (s.kind != PruneKind::kPattern && (r.patterns || r.connectivity))
    throw InputError(
        cat("--patterns and --connectivity apply to --scheme pattern, not ", r.scheme));
  if (s.kind == PruneKind::kNOfM && r.sparsity)
    throw InputError(
        cat("--scheme ", r.scheme, " fixes the sparsity at 1 - N/M; leave out --sparsity"));
  if (has_free_sparsity(s) && !r.sparsity)
    throw InputError(
        cat("--scheme ", r.scheme, " needs --sparsity (the pruned fraction, e.g. 0.8)"));
  if (gradual && !has_free_sparsity(s))
    throw InputError(cat("--method gradual ramps a sparsity, and --scheme ", r.scheme,
                         " fixes its own; use admm or magnitude"));
  if (r.method == PruneMethod::kMagnitude && r.admm_epochs)
    throw InputError(
        "--admm-epochs applies to --method admm and gradual; magnitude prunes at once");
  if (r.method != PruneMethod::kAdmm && (r.rho || r.rho_factor || r.rho_max))
    throw InputError("--rho, --rho-factor and --rho-max apply to --method admm");
  if (r.bits != 0 && r.bits != 4 && r.bits != 8)
    throw InputError(cat("--bits must be 4 or 8 (or 0: float survivors), got ", r.bits));
  s.sparsity = r.sparsity.value_or(0.0);
  s.pattern_count = r.patterns.value_or(s.pattern_count);
  s.connectivity = r.connectivity.value_or(s.connectivity);
  validate_prune_scheme(s);
  return s;
}

// The grid the survivors go onto with `bits`: per channel, which BatchNorm folding keeps exact.
std::optional<QuantScheme> survivor_levels(int bits) {
  if (bits == 0) return std::nullopt;
  QuantScheme levels;
  levels.bits = bits;
  levels.granularity = QuantGranularity::kChannel;
  return levels;
}

PruneStart start_summary(const Graph& model, const PrunePlan& plan, const Dataset& train,
                         const Dataset& test) {
  PruneStart s;
  s.scheme = plan.scheme();
  for (const PruneTarget& t : plan.targets())
    s.prunable_weights += model.initializers.at(t.weight).numel();
  s.pruned_tensors = plan.targets().size();
  s.left_dense = plan.left_dense();
  s.train_images = train.size();
  s.test_images = test.size();
  return s;
}

// The training side of a run: the data, the SGD settings and where progress goes.
struct FineTuning {
  const PruneRequest& request;
  DataLoader& loader;
  const Dataset& test;
  const FineTuneCallbacks& callbacks;

  TrainerOptions trainer(int64_t epochs) const {
    return fine_tune_trainer(request.training, epochs, loader.batches_per_epoch());
  }
  // Steps between updates when the request leaves it to the run: 1/`per_epoch` of an epoch.
  int64_t interval(int64_t per_epoch) const {
    return request.interval > 0 ? request.interval
                                : std::max<int64_t>(1, loader.batches_per_epoch() / per_epoch);
  }
};

std::vector<Mask> admm_prune(Graph& model, const PrunePlan& plan,
                             const std::optional<QuantScheme>& levels, const FineTuning& ft,
                             int64_t epochs) {
  Trainer trainer(model, ft.trainer(epochs));
  AdmmOptions o;
  o.rho = ft.request.rho.value_or(o.rho);
  o.rho_factor = ft.request.rho_factor.value_or(o.rho_factor);
  o.rho_max = ft.request.rho_max.value_or(o.rho_max);
  o.interval = ft.interval(4);
  o.levels = levels;
  AdmmPruner admm(trainer, plan, o);
  fine_tune_phase(trainer, ft.loader, ft.test, epochs, "admm", ft.callbacks, [&] {
    return cat("rho ", printed("%.3g", admm.rho()), "  distance to the set ",
               printed("%.3f", admm.distance_to_set()));
  });
  std::vector<Mask> masks = admm.hard_prune();
  model = trainer.model();
  return masks;
}

std::vector<Mask> gradual_prune(Graph& model, const PrunePlan& plan, const FineTuning& ft,
                                int64_t epochs) {
  Trainer trainer(model, ft.trainer(epochs));
  GradualPruningOptions o;
  o.end_step = epochs * ft.loader.batches_per_epoch();
  o.interval = ft.interval(10);
  GradualPruner gradual(trainer, plan, o);
  fine_tune_phase(trainer, ft.loader, ft.test, epochs, "gradual", ft.callbacks,
                  [&] { return "sparsity " + printed("%.2f%%", 100 * gradual.sparsity()); });
  std::vector<Mask> masks = gradual.masks();
  model = trainer.model();
  return masks;
}

// Phase 1: reach the constraint set (ADMM, the gradual ramp, or at once); returns the masks.
std::vector<Mask> reach_constraint_set(Graph& model, const PrunePlan& plan,
                                       const std::optional<QuantScheme>& levels,
                                       const FineTuning& ft) {
  const PruneRequest& r = ft.request;
  if (r.method == PruneMethod::kMagnitude) return hard_prune(model, plan);
  const int64_t epochs = r.admm_epochs.value_or(3);
  std::vector<Mask> masks = r.method == PruneMethod::kAdmm
                                ? admm_prune(model, plan, levels, ft, epochs)
                                : gradual_prune(model, plan, ft, epochs);
  zero_pruned_channels(model, plan, masks);
  return masks;
}

// Phase 2: masked retraining; with levels, quantization-aware, which holds the zeros itself.
void retrain(Graph& model, const PrunePlan& plan, std::vector<Mask> masks,
             const std::optional<QuantScheme>& levels, const FineTuning& ft) {
  const int64_t epochs = ft.request.retrain_epochs;
  Trainer trainer(model, ft.trainer(epochs));
  std::optional<MaskedTraining> masked;
  std::optional<QuantAwareTraining> quant_aware;
  if (levels) {
    std::vector<QuantAwareWeight> weights;
    std::vector<std::string> channel_params;
    for (const PruneTarget& t : plan.targets()) {
      weights.push_back({t.weight, t.transposed ? 1 : 0});
      channel_params.insert(channel_params.end(), t.channel_params.begin(), t.channel_params.end());
    }
    quant_aware.emplace(trainer, weights, *levels, channel_params);
  } else {
    masked.emplace(trainer, plan, std::move(masks));
  }
  fine_tune_phase(trainer, ft.loader, ft.test, epochs, "retrain", ft.callbacks);
  model = trainer.model();
}

PruneRecord prune_record(const PruneRequest& r, const PrunePlan& plan,
                         const ModelStorage& storage) {
  PruneRecord p;
  p.scheme = plan.scheme();
  p.method = prune_method_name(r.method);
  p.sparsity = storage.prunable_sparsity();
  for (const PruneTarget& t : plan.targets()) p.weights.push_back(t.weight);
  p.bits = r.bits;
  p.layer_sparsity = r.rules.layer_sparsity;
  if (p.scheme.kind == PruneKind::kPattern)
    p.patterns.assign(plan.pattern_set().begin(), plan.pattern_set().end());
  return p;
}

}  // namespace

PruneMethod parse_prune_method(const std::string& text) {
  for (PruneMethod m : {PruneMethod::kAdmm, PruneMethod::kMagnitude, PruneMethod::kGradual})
    if (text == prune_method_name(m)) return m;
  throw InputError(cat("--method '", text, "' is not one of admm, magnitude, gradual"));
}

std::string prune_method_name(PruneMethod method) {
  switch (method) {
    case PruneMethod::kAdmm:
      return "admm";
    case PruneMethod::kMagnitude:
      return "magnitude";
    case PruneMethod::kGradual:
      return "gradual";
  }
  return "?";
}

void validate_prune_request(const PruneRequest& request) { checked_scheme(request); }

PruneResult prune_model(Graph model, const PruneRequest& request, const PruneCallbacks& callbacks) {
  const PrunePlan plan(model, checked_scheme(request), request.rules);
  const std::optional<QuantScheme> levels = survivor_levels(request.bits);
  Dataset train = load_dataset(request.data, true);
  Dataset test = load_dataset(request.data, false);
  limit_dataset(train, request.train_limit);
  limit_dataset(test, request.test_limit);
  DataLoader loader(train, fine_tune_loader(request.training));
  const FineTuning ft{request, loader, test, callbacks.fine_tune};
  const int threads = request.training.threads;
  if (callbacks.on_start) callbacks.on_start(start_summary(model, plan, train, test));

  PruneResult result;
  result.dense = evaluate(model, test, kEvalBatch, threads);
  if (callbacks.on_dense) callbacks.on_dense(result.dense);
  std::vector<Mask> masks = reach_constraint_set(model, plan, levels, ft);
  // The survivors onto their grids (ADMM with levels has put them there already).
  if (levels)
    for (const PruneTarget& t : plan.targets()) {
      Tensor& w = model.initializers.at(t.weight);
      w = exported_weight(w, t.transposed ? 1 : 0, *levels, t.weight);
    }
  result.pruned = evaluate(model, test, kEvalBatch, threads);
  if (callbacks.on_pruned) callbacks.on_pruned(result.pruned, target_sparsity(model, plan));
  result.retrained = result.pruned;
  if (request.retrain_epochs > 0) {
    retrain(model, plan, std::move(masks), levels, ft);
    result.retrained = evaluate(model, test, kEvalBatch, threads);
  }

  result.storage = measure_storage(model, plan);
  result.record.prune = prune_record(request, plan, result.storage);
  write_compression_record(result.record, model);
  result.model = std::move(model);
  return result;
}

}  // namespace sinter
