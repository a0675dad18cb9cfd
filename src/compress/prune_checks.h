#pragma once
// Argument checks and counts shared by the pruning projections, so every scheme rejects bad input
// with the same kind of message.
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace sinter {

// Throws InputError unless `w` is float32 with at least `min_rank` dimensions, and NumericError if
// it holds a NaN or infinity (a diverged ADMM step must not silently pick a mask). `who` names the
// caller in the message.
void require_prunable_weights(const Tensor& w, const char* who, int64_t min_rank);

// Like require_prunable_weights, but for exactly `rank` dimensions.
void require_weights_of_rank(const Tensor& w, const char* who, int64_t rank);

// How many of n entries survive `sparsity` (the pruned fraction): (1 - sparsity) * n rounded to
// nearest, but at least one when n > 0, since a layer pruned to nothing disconnects the network.
// Throws InputError unless 0 <= sparsity < 1.
int64_t kept_count(int64_t n, double sparsity, const char* who);

// A number as a person would write it in a message ("0.8", "3.6", "1e-07"), not to_string's
// fixed six decimals.
std::string short_number(double v);

}  // namespace sinter
