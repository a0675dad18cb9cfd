#pragma once
// The activation that sinter's fused ops (FusedConv, FusedGemm) apply in their kernel epilogue.
// A graph pass folds a following Relu/Clip/... into the node as attributes
// `activation` (the ONNX op name), `activation_alpha` and `activation_beta`.
#include <limits>
#include <string>

#include "core/error.h"
#include "ir/node.h"
#include "kernels/activation.h"

namespace sinter {

inline Activation fused_activation(const Node& node) {
  Activation act;
  if (!node.has_attr("activation")) return act;
  const std::string kind = node.attr_string("activation", "");
  auto alpha = [&](float d) { return node.attr_float("activation_alpha", d); };
  auto beta = [&](float d) { return node.attr_float("activation_beta", d); };
  if (kind == "Relu") {
    act.kind = ActivationKind::kRelu;
  } else if (kind == "Clip") {
    act = Activation::clip(alpha(-std::numeric_limits<float>::infinity()),
                           beta(std::numeric_limits<float>::infinity()));
  } else if (kind == "Sigmoid") {
    act.kind = ActivationKind::kSigmoid;
  } else if (kind == "HardSigmoid") {
    act = {ActivationKind::kHardSigmoid, alpha(0.2f), beta(0.5f)};
  } else if (kind == "HardSwish") {
    act.kind = ActivationKind::kHardSwish;
  } else if (kind == "LeakyRelu") {
    act = {ActivationKind::kLeakyRelu, alpha(0.01f), 0.0f};
  } else {
    throw UnsupportedError(cat(node.describe(), ": unsupported fused activation '", kind, "'"));
  }
  return act;
}

}  // namespace sinter
