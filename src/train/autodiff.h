#pragma once
// Reverse-mode automatic differentiation as a graph transformation: the backward pass is appended
// to the forward graph as ordinary nodes, built by each op's gradient rule (OpDef::gradient), so
// one executor runs both and the backward nodes can read any forward value.
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter {

// Appends to `g` the nodes computing d(loss)/d(v) for every v in `wrt` (initializers or graph
// inputs, float32), and adds each as a graph output named "<v>.grad" (zeros when the loss does
// not depend on v). `loss` must be a float32 scalar (or a one-element tensor) that `g` computes.
// Shapes must be static: runs shape inference first. Throws UnsupportedError naming the first
// node on the path without a gradient rule. Returns the gradient output names, in `wrt` order.
std::vector<std::string> append_gradients(Graph& g, const std::string& loss,
                                          const std::vector<std::string>& wrt);

}  // namespace sinter
