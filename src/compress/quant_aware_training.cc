#include "compress/quant_aware_training.h"

#include <cstring>
#include <unordered_map>

#include "compress/qdq_export.h"
#include "core/error.h"

namespace sinter {

QuantAwareTraining::QuantAwareTraining(Trainer& trainer,
                                       const std::vector<QuantAwareWeight>& weights,
                                       QuantScheme scheme,
                                       const std::vector<std::string>& held_zero)
    : trainer_(trainer), weights_(weights), scheme_(scheme) {
  std::unordered_map<std::string, const Parameter*> by_name;
  for (const Parameter& p : trainer.parameters()) by_name[p.name] = &p;
  auto find = [&](const std::string& name) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw InputError(cat("quantization-aware training: weight '", name,
                           "' is not among the trainer's parameters"));
    return *it->second;
  };
  for (const QuantAwareWeight& w : weights_) {
    params_.push_back(find(w.weight));
    latent_.push_back(params_.back().value->clone());
    nonzeros_.push_back(Mask::of_nonzeros(latent_.back()));
  }
  for (const std::string& name : held_zero) {
    held_.push_back(find(name));
    held_nonzeros_.push_back(Mask::of_nonzeros(*held_.back().value));
  }
  for (size_t i = 0; i < params_.size(); ++i) quantize(i);

  // Straight through: the gradient taken at Q(W) updates W itself.
  trainer_.on_gradients = [this](Trainer&) {
    for (size_t i = 0; i < params_.size(); ++i) {
      nonzeros_[i].apply(*params_[i].grad);
      std::memcpy(params_[i].value->data<float>(), latent_[i].data<float>(), latent_[i].nbytes());
    }
  };
  trainer_.on_update = [this](Trainer&) {
    for (size_t i = 0; i < params_.size(); ++i) {
      nonzeros_[i].apply(*params_[i].value);
      std::memcpy(latent_[i].data<float>(), params_[i].value->data<float>(), latent_[i].nbytes());
      quantize(i);
    }
    for (size_t i = 0; i < held_.size(); ++i) held_nonzeros_[i].apply(*held_[i].value);
  };
}

QuantAwareTraining::~QuantAwareTraining() {
  trainer_.on_gradients = nullptr;
  trainer_.on_update = nullptr;
}

void QuantAwareTraining::quantize(size_t i) {
  const Tensor q =
      exported_weight(latent_[i], weights_[i].channel_axis, scheme_, weights_[i].weight);
  std::memcpy(params_[i].value->data<float>(), q.data<float>(), q.nbytes());
}

}  // namespace sinter
