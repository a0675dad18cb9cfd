#pragma once
#include "ir/graph.h"

namespace sinter {

// Recognises LayerNorm as exporters write it before opset 17 (ViT, ConvNeXt, BERT):
//   mean = ReduceMean(x, trailing axes); d = x - mean; var = ReduceMean(d^2, same axes);
//   y = d / Sqrt(var + eps) * gamma + beta
// (Pow(d, 2) or Mul(d, d); gamma and beta constants broadcasting to the normalized dims, beta
// optional) and replaces it with one sinter::LayerNormalization node: the row-norm kernel's two
// passes instead of nine element-wise and reduction ones. Every intermediate must have no reader
// outside the chain. Returns the number of chains replaced.
int fuse_layer_norm(Graph& g);

}  // namespace sinter
