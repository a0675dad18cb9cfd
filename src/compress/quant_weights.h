#pragma once
// Post-training quantization of weights: scales from each group's own values (the largest
// magnitude when symmetric, the minimum and maximum otherwise), per tensor, per channel or per
// vector (VS-Quant), with optional two-level vector scales.
#include <string>

#include "compress/quant_params.h"

namespace sinter {

// Params for `w` (float32) under `scheme`. Two-level vector scales follow VS-Quant: each vector's
// own scale s_v, one float per channel gamma = max s_v / (2^S - 1), and per vector the integer
// factor round-down or round-up of s_v / gamma (within [1, 2^S - 1]), whichever quantizes that
// vector with the smaller squared error. Throws InputError for a bad scheme (naming `what` and
// the field) or a non-float32 tensor, NumericError when `w` holds a NaN or infinity.
QuantParams choose_weight_params(const Tensor& w, const QuantScheme& scheme,
                                 const std::string& what = "weight");

// fake_quantize(w, choose_weight_params(w, scheme, what)).
Tensor fake_quantize_weights(const Tensor& w, const QuantScheme& scheme,
                             const std::string& what = "weight");

}  // namespace sinter
