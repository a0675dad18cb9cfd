#pragma once
// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, following
// torch.optim.SGD with dampening 0.
#include "train/optimizer.h"

namespace sinter {

struct SgdOptions {
  float momentum = 0.0f;
  bool nesterov = false;
  // L2 penalty added to the gradient: d_p = g + weight_decay * p.
  float weight_decay = 0.0f;
};

// Per element: d_p = g + wd*p; with momentum, buf = mu*buf + d_p (buf = d_p on the first step) and
// d_p = nesterov ? d_p + mu*buf : buf; then p -= lr*d_p. Keeps "<param>.momentum" when mu != 0.
class Sgd : public Optimizer {
 public:
  // Throws InputError for negative or non-finite options, or Nesterov without momentum (which
  // PyTorch rejects too).
  Sgd(std::vector<Parameter> params, SgdOptions options);
  void step(float lr) override;

 protected:
  std::vector<std::string> slot_names() const override;

 private:
  SgdOptions options_;
};

}  // namespace sinter
