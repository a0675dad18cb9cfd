#pragma once
// Quantization-aware training with a straight-through estimator: the network trains through
// its quantized weights while a float copy of each ("latent" weights) takes the updates.
//
// Every step runs forward and backward with W_q = Q(W), the weight exactly as the exported QDQ
// model dequantizes it (compress/qdq_export.h, scales chosen again from W each step). The
// gradient with respect to W_q is applied to W as if Q were the identity (the straight-through
// estimator): small updates accumulate in W until they move a value to the next level, which
// rounding the weights after each update would undo. Weights that are zero when training starts
// stay zero, so a pruned model stays pruned (zero is on every symmetric grid).
#include <cstdint>
#include <string>
#include <vector>

#include "compress/mask.h"
#include "compress/quant_scheme.h"
#include "train/trainer.h"

namespace sinter {

struct QuantAwareWeight {
  std::string weight;        // a trained parameter
  int64_t channel_axis = 0;  // its output-channel axis (1 for Gemm/MatMul weights [K, N])
};

class QuantAwareTraining {
 public:
  // Installs the trainer's on_gradients and on_update hooks (the destructor removes them) and
  // quantizes the weights at once. `held_zero` names further parameters, trained in float, whose
  // zeros are held too (a filter-pruned layer's bias and BatchNorm entries). Throws InputError
  // for a weight the trainer does not train or a scheme that does not fit one, NumericError for
  // a non-finite weight. The trainer must outlive it.
  QuantAwareTraining(Trainer& trainer, const std::vector<QuantAwareWeight>& weights,
                     QuantScheme scheme, const std::vector<std::string>& held_zero = {});
  ~QuantAwareTraining();
  QuantAwareTraining(const QuantAwareTraining&) = delete;
  QuantAwareTraining& operator=(const QuantAwareTraining&) = delete;

  // The latent float weight of weights[i].
  const Tensor& latent(size_t i) const { return latent_.at(i); }

 private:
  // The trainer's weight i = Q(latent i), written into its buffer in place.
  void quantize(size_t i);

  Trainer& trainer_;
  std::vector<QuantAwareWeight> weights_;
  QuantScheme scheme_;
  std::vector<Parameter> params_;
  std::vector<Tensor> latent_;
  std::vector<Mask> nonzeros_;
  std::vector<Parameter> held_;
  std::vector<Mask> held_nonzeros_;
};

}  // namespace sinter
