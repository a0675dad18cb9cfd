#pragma once
// Gradient clipping by global norm, like torch.nn.utils.clip_grad_norm_ (L2).
#include <vector>

#include "train/optimizer.h"

namespace sinter {

// Computes the L2 norm over all parameters' gradients together and, when it exceeds max_norm,
// scales every gradient by max_norm / (norm + 1e-6) (capped at 1). Returns the norm before
// clipping. A non-finite norm is returned with the gradients untouched, so the trainer can report
// (or skip) the step. Throws InputError when max_norm is negative or not finite.
float clip_grad_norm(const std::vector<Parameter>& params, float max_norm);

}  // namespace sinter
