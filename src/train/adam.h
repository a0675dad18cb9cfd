#pragma once
// Adam and AdamW, following PyTorch 1.13's torch.optim.Adam / AdamW (non-amsgrad, single-tensor
// math).
#include "train/optimizer.h"

namespace sinter {

struct AdamOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  // false: Adam's L2 penalty, g += wd*p before the moments. true: AdamW's decoupled decay,
  // p *= 1 - lr*wd before the update.
  bool decoupled_weight_decay = false;
};

// Per element, at step t (1-based): m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). The bias corrections are computed in double
// like PyTorch's Python scalars. Keeps "<param>.exp_avg" and "<param>.exp_avg_sq"; t is the
// optimizer's steps() (PyTorch keeps one per parameter, which is the same since all step together).
class Adam : public Optimizer {
 public:
  // Throws InputError for betas outside [0, 1), eps or weight decay negative or non-finite.
  Adam(std::vector<Parameter> params, AdamOptions options);
  void step(float lr) override;

 protected:
  std::vector<std::string> slot_names() const override;

 private:
  AdamOptions options_;
};

// Adam with decoupled weight decay; PyTorch's AdamW default decay is 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Parameter> params, AdamOptions options = with_decay(0.01f));
  static AdamOptions with_decay(float weight_decay) {
    AdamOptions o;
    o.weight_decay = weight_decay;
    return o;
  }

 private:
  static AdamOptions decoupled(AdamOptions o) {
    o.decoupled_weight_decay = true;
    return o;
  }
};

}  // namespace sinter
