#pragma once
// Checks of the scale and zero point inputs that the quantized ops share (QuantizeLinear,
// DequantizeLinear, QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger, at shape inference
// and again at run time). A scale must be float32, finite and positive: zero or negative scales
// and NaN or infinity would turn every output into garbage (or divide by zero) without a word.
// Every failure is one ModelError line naming the node and the input.
#include <string>
#include <vector>

#include "ops/op_registry.h"

namespace sinter {

// A scalar or 1-D of one value: a per-tensor parameter, as ONNX's reference and ONNX Runtime read
// it.
bool holds_one_value(const Shape& s);

// Fails unless input i (a scale called `name`) is float32.
void require_scale_type(const InferContext& ic, size_t i, const char* name);
// Fails unless input i (a zero point called `name`) has `want`, the type of the tensor it
// belongs to (`of`).
void require_zero_point_type(const InferContext& ic, size_t i, const char* name, DType want,
                             const char* of);

// Throws ModelError naming `who` (node.describe()) and `name` unless every value is finite and > 0.
void check_scale_values(const std::string& who, const char* name, const Tensor& scale);
// A scale held as an attribute (the integer ops the integer-layers pass makes): attribute `name`
// of `node`, checked like check_scale_values.
float scale_attribute(const Node& node, const char* name);

// The same at shape inference, when input i's value is known (an initializer or a folded value).
void check_known_scale(const InferContext& ic, size_t i, const char* name);

// Fails unless input i holds one value (per-tensor), or `count` values in 1-D, one per `unit`
// ("output channel"). count < 0 (not known yet) accepts any 1-D length.
void check_one_or_per_channel(const InferContext& ic, size_t i, const char* name, int64_t count,
                              const char* unit);
// Fails unless input i holds one value.
void check_one_value(const InferContext& ic, size_t i, const char* name);

// At run time: a per-tensor or per-channel parameter widened to `count` values (one value
// repeated), after the same shape check; scales also pass check_scale_values.
std::vector<double> per_channel_scales(const std::string& who, const char* name,
                                       const Tensor& scale, int64_t count);
std::vector<int32_t> per_channel_zero_points(const std::string& who, const char* name,
                                             const Tensor& zero_point, int64_t count);

// Input i's single value, widened; `name` is named when it holds more than one.
int32_t single_zero_point(const std::string& who, const char* name, const Tensor& zero_point);
double single_scale(const std::string& who, const char* name, const Tensor& scale);

}  // namespace sinter
