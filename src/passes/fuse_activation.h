#pragma once
#include "ir/graph.h"

namespace sinter {

// Fuses Conv (+ residual Add) (+ activation) into sinter::FusedConv, and Gemm (+ activation)
// into sinter::FusedGemm, so the output is written once with bias, residual and activation
// applied in the kernel's epilogue. The activation is one of Relu, Clip (constant bounds),
// Sigmoid, HardSigmoid, HardSwish, LeakyRelu. Returns the number of nodes absorbed.
int fuse_activation(Graph& g);

}  // namespace sinter
