#pragma once
// Models at default-domain opsets 1 to 6 are read through ONNX's own version converter, which
// rewrites the forms that changed by opset 7 (legacy broadcast attributes on the element-wise
// ops, Gemm's broadcast, consumed_inputs, BatchNormalization's and Dropout's is_test, Concat
// without an axis, Reshape's shape attribute, Upsample's scales, ...) into their opset 7 forms,
// which sinter's operators run.
#include <onnx/onnx_pb.h>

#include <string>

namespace sinter {

// The lowest default-domain opset sinter reads without conversion.
constexpr int64_t kFirstNativeOpset = 7;

// The default-domain opset `model` imports, or 0 if none.
int64_t default_domain_opset(const onnx::ModelProto& model);

// `model` converted to opset 7. Throws UnsupportedError naming `what`, the opset and the
// converter's reason when a node has no conversion (an operator removed since, or one that
// changed without an adapter).
onnx::ModelProto convert_to_opset_7(const onnx::ModelProto& model, const std::string& what);

}  // namespace sinter
