#pragma once
// A random fused activation for the convolution kernel tests (dense and sparse alike).
#include <random>

#include "kernels/activation.h"

namespace sinter::testing {

inline Activation random_activation(std::mt19937& rng) {
  switch (rng() % 5) {
    case 0:
      return {};
    case 1:
      return Activation::relu();
    case 2:
      return Activation::clip(0.0f, 6.0f);
    case 3:
      return {ActivationKind::kSigmoid};
    default:
      return {ActivationKind::kLeakyRelu, 0.1f};
  }
}

}  // namespace sinter::testing
