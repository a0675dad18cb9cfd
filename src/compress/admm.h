#pragma once
// ADMM pruning (ADMM-NN, PatDNN) over the training loop. Pruning is posed as
//   minimize loss(W) subject to W in S (S: the plan's constraint set for each target),
// split into W (trained by SGD), Z (in S) and the scaled dual U:
//   - every step, the loss gradient gains rho * (W - Z + U), the gradient of the augmented
//     Lagrangian's penalty (rho / 2) ||W - Z + U||^2, which pulls W towards Z;
//   - every `interval` steps, Z = Proj_S(W + U) (the plan's Euclidean projection), then
//     U += W - Z, and rho grows by `rho_factor` up to `rho_max`, so the pull tightens as
//     training settles.
// At the end W is close to S, and hard_prune() projects it there: the masks it returns are what
// masked retraining (MaskedTraining) then holds.
#include <cstdint>
#include <optional>
#include <vector>

#include "compress/mask.h"
#include "compress/prune_plan.h"
#include "compress/quant_scheme.h"
#include "train/trainer.h"

namespace sinter {

struct AdmmOptions {
  float rho = 0.05f;        // the penalty's initial weight
  float rho_factor = 1.5f;  // multiplies rho after each Z/U update
  float rho_max = 1.0f;     // the cap
  int64_t interval = 1;     // trainer steps between Z/U updates (e.g. one epoch's batches)
  // Joint pruning and quantization (ADMM-NN): the constraint set of each target is also its
  // quantization grid under this scheme (per channel or per tensor; a symmetric grid keeps the
  // zeros). The projection keeps the plan's support, then rounds the survivors to the grid whose
  // scale their largest magnitude sets, as the exported QDQ model would.
  std::optional<QuantScheme> levels;
};

class AdmmPruner {
 public:
  // Starts with Z = Proj(W), U = 0, and installs the trainer's on_gradients and on_update hooks
  // (the destructor removes them). Steps are counted from the trainer's step count now. Throws
  // InputError for rho or rho_max not positive and finite, rho_factor < 1, interval < 1, or a
  // target the trainer does not train. The trainer and the plan must outlive the pruner.
  AdmmPruner(Trainer& trainer, const PrunePlan& plan, AdmmOptions options);
  ~AdmmPruner();
  AdmmPruner(const AdmmPruner&) = delete;
  AdmmPruner& operator=(const AdmmPruner&) = delete;

  float rho() const { return rho_; }
  int64_t updates() const { return updates_; }  // Z/U updates so far
  // ||W - Proj(W)|| / ||W|| over all targets, now: the share of the weights' norm that hard
  // pruning would remove, which ADMM drives towards 0.
  double distance_to_set() const;
  const Tensor& z(size_t t) const { return z_.at(t); }
  const Tensor& u(size_t t) const { return u_.at(t); }

  // The Z/U update and rho's growth; the on_update hook calls it every `interval` steps.
  void update();
  // Projects the weights onto the constraint set (zeroing what does not survive, and rounding
  // the rest onto the grid when there are levels) and returns the masks in target order; removes
  // the hooks, so the trainer goes on without the penalty.
  std::vector<Mask> hard_prune();

 private:
  void detach();
  // Proj(w) for target t, and the mask of its support.
  Tensor project(size_t t, const Tensor& w, const Mask& support) const;

  Trainer& trainer_;
  const PrunePlan& plan_;
  AdmmOptions options_;
  std::vector<Parameter> params_;
  std::vector<Tensor> z_, u_;
  float rho_;
  int64_t first_step_;
  int64_t updates_ = 0;
};

}  // namespace sinter
