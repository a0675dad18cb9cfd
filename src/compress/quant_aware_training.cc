#include "compress/quant_aware_training.h"

#include <cstring>
#include <unordered_map>

#include "compress/qdq_export.h"
#include "core/error.h"

namespace sinter {

QuantAwareTraining::QuantAwareTraining(Trainer& trainer,
                                       const std::vector<QuantAwareWeight>& weights,
                                       QuantScheme scheme)
    : trainer_(trainer), weights_(weights), scheme_(scheme) {
  std::unordered_map<std::string, const Parameter*> by_name;
  for (const Parameter& p : trainer.parameters()) by_name[p.name] = &p;
  for (const QuantAwareWeight& w : weights_) {
    auto it = by_name.find(w.weight);
    if (it == by_name.end())
      throw InputError(cat("quantization-aware training: weight '", w.weight,
                           "' is not among the trainer's parameters"));
    params_.push_back(*it->second);
    latent_.push_back(it->second->value->clone());
    nonzeros_.push_back(Mask::of_nonzeros(latent_.back()));
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
