#include "compress/masked_training.h"

#include <unordered_map>

#include "core/error.h"

namespace sinter {

std::vector<Parameter> target_parameters(const Trainer& trainer, const PrunePlan& plan) {
  std::unordered_map<std::string, const Parameter*> by_name;
  for (const Parameter& p : trainer.parameters()) by_name[p.name] = &p;
  std::vector<Parameter> params;
  for (const PruneTarget& t : plan.targets()) {
    auto it = by_name.find(t.weight);
    if (it == by_name.end())
      throw InputError(cat("weight '", t.weight, "' of node '", t.node,
                           "' is not among the trainer's parameters, so it cannot be pruned"));
    params.push_back(*it->second);
  }
  return params;
}

std::vector<Mask> hard_prune(Graph& model, const PrunePlan& plan) {
  std::vector<Mask> masks;
  for (size_t t = 0; t < plan.targets().size(); ++t) {
    Tensor& w = model.initializers.at(plan.targets()[t].weight);
    masks.push_back(plan.project(t, w));
    // A fresh buffer: the model's tensors may share theirs with a copy of the graph.
    w = masks.back().applied_to(w);
  }
  zero_pruned_channels(model, plan, masks);
  return masks;
}

Mask kept_filters(const Mask& m, bool transposed) {
  const Shape& shape = m.shape();
  const int64_t filters = shape.at(transposed ? 1 : 0);
  const int64_t per_row = shape_numel(shape) / shape[0];
  std::vector<uint8_t> keep(filters, 0);
  for (int64_t i = 0; i < m.numel(); ++i)
    if (m.kept(i)) keep[transposed ? i % per_row : i / per_row] = 1;
  return Mask({filters}, std::move(keep));
}

void zero_pruned_channels(Graph& model, const PrunePlan& plan, const std::vector<Mask>& masks) {
  for (size_t t = 0; t < plan.targets().size(); ++t) {
    const PruneTarget& target = plan.targets()[t];
    if (target.channel_params.empty()) continue;
    const Mask kept = kept_filters(masks.at(t), target.transposed);
    for (const std::string& name : target.channel_params) {
      Tensor& p = model.initializers.at(name);
      p = kept.applied_to(p);
    }
  }
}

double target_sparsity(const Graph& model, const PrunePlan& plan) {
  int64_t zeros = 0, total = 0;
  for (const PruneTarget& t : plan.targets()) {
    const Tensor& w = model.initializers.at(t.weight);
    const Mask nonzeros = Mask::of_nonzeros(w);
    zeros += nonzeros.numel() - nonzeros.count_kept();
    total += nonzeros.numel();
  }
  return total == 0 ? 0.0 : static_cast<double>(zeros) / static_cast<double>(total);
}

MaskedTraining::MaskedTraining(Trainer& trainer, const PrunePlan& plan, std::vector<Mask> masks)
    : trainer_(trainer), plan_(plan), params_(target_parameters(trainer, plan)) {
  std::unordered_map<std::string, const Parameter*> by_name;
  for (const Parameter& p : trainer.parameters()) by_name[p.name] = &p;
  for (const PruneTarget& t : plan.targets())
    for (const std::string& name : t.channel_params) {
      auto it = by_name.find(name);
      if (it == by_name.end())
        throw InputError(cat("channel parameter '", name, "' of node '", t.node,
                             "' is not among the trainer's parameters"));
      channel_params_.push_back(*it->second);
    }
  set_masks(std::move(masks));
  trainer_.on_gradients = [this](Trainer&) {
    for (size_t t = 0; t < params_.size(); ++t) masks_[t].apply(*params_[t].grad);
    for (size_t c = 0; c < channel_params_.size(); ++c)
      channel_masks_[c].apply(*channel_params_[c].grad);
  };
  trainer_.on_update = [this](Trainer&) { apply(); };
}

MaskedTraining::~MaskedTraining() {
  trainer_.on_gradients = nullptr;
  trainer_.on_update = nullptr;
}

void MaskedTraining::set_masks(std::vector<Mask> masks) {
  if (masks.size() != params_.size())
    throw InputError(
        cat("masked training: ", masks.size(), " masks for ", params_.size(), " pruned weights"));
  masks_ = std::move(masks);
  channel_masks_.clear();
  for (size_t t = 0; t < params_.size(); ++t) {
    const PruneTarget& target = plan_.targets()[t];
    for (size_t k = 0; k < target.channel_params.size(); ++k)
      channel_masks_.push_back(kept_filters(masks_[t], target.transposed));
  }
  apply();
}

void MaskedTraining::apply() {
  for (size_t t = 0; t < params_.size(); ++t) masks_[t].apply(*params_[t].value);
  for (size_t c = 0; c < channel_params_.size(); ++c)
    channel_masks_[c].apply(*channel_params_[c].value);
}

}  // namespace sinter
