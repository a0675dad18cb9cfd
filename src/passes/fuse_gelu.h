#pragma once
#include "ir/graph.h"

namespace sinter {

// Recognises GELU as exporters write it, x * 0.5 * (1 + erf(x / sqrt(2))): Div(x, sqrt 2) or
// Mul(x, 1/sqrt 2) -> Erf -> Add 1 -> Mul by x, with the 0.5 applied to x first or to the
// product last, in any operand order; and replaces the chain with one sinter::Gelu node (the
// vectorized kernel of ops/gelu.cc), five passes over the tensor becoming one. Every
// intermediate must have no other reader and the constants must be scalars of those values (to
// float precision). Returns the number of chains replaced.
int fuse_gelu(Graph& g);

}  // namespace sinter
