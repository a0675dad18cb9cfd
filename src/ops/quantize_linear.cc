// QuantizeLinear and DequantizeLinear (opsets 10, 13, 19 and 21), the QDQ pair that quantized ONNX
// models are written with. y = saturate(round_half_even(x / scale) + zero_point) into int8, uint8,
// int4 or uint4 (the zero point's type, else opset 21's output_dtype, else uint8);
// x' = (q - zero_point) * scale. A scale of one value is per-tensor; from opset 13 a 1-D scale of
// x.shape[axis] values is per-axis (axis defaults to 1); from opset 21 a block_size > 0 makes the
// scale x's shape with dim `axis` cut into blocks of block_size (per-vector scales). Opset 19's
// float8 types (and its saturate attribute, which only they use) are not supported.
#include "kernels/quant/quantize_linear.h"

#include <map>
#include <vector>

#include "ops/data_movement_util.h"
#include "ops/eight_bit_types.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {
namespace {

int64_t block_size_of(const Node& node, int64_t opset) {
  return opset >= 21 ? node.attr_int("block_size", 0) : 0;
}

// Why a blocked scale of shape `scale` does not fit x, or "" when it does.
std::string blocked_scale_mismatch(const Shape& x, const Shape& scale, int64_t axis,
                                   int64_t block) {
  if (scale.size() != x.size())
    return cat("a blocked scale must have x's rank ", x.size(), ", got ", shape_str(scale));
  for (size_t d = 0; d < x.size(); ++d) {
    if (x[d] < 0 || scale[d] < 0) continue;
    const int64_t want =
        static_cast<int64_t>(d) == axis ? kernels::AxisLayout::ceil_blocks(x[d], block) : x[d];
    if (scale[d] != want)
      return cat("blocked scale ", shape_str(scale), " does not fit x ", shape_str(x),
                 " with block_size ", block, " along axis ", axis);
  }
  return "";
}

// Checks the scale and zero point types and shapes against x, and the scale's values when they
// are known, failing with the node's name.
void infer_params(InferContext& ic, DType zero_point_dtype) {
  const ValueType& x = ic.input(0);
  const ValueType& scale = ic.input(1);
  if (scale.dtype != DType::kFloat32)
    throw UnsupportedError(
        cat(ic.node.describe(), ": scale must be float32, got ", dtype_name(scale.dtype)));
  const int64_t block = block_size_of(ic.node, ic.opset);
  if (block < 0) ic.fail(cat("attribute 'block_size' = ", block, " is negative"));
  if (block == 0 && scale.has_shape && scale.shape.size() > 1)
    ic.fail(cat("scale must be a scalar or 1-D, got ", shape_str(scale.shape)));
  check_known_scale(ic, 1, "scale");
  if (ic.has_input(2)) {
    const ValueType& zp = ic.input(2);
    if (zp.dtype != zero_point_dtype)
      throw UnsupportedError(cat(ic.node.describe(), ": zero point must be ",
                                 dtype_name(zero_point_dtype), ", got ", dtype_name(zp.dtype)));
    if (zp.has_shape && scale.has_shape && zp.shape != scale.shape &&
        !(holds_one_value(zp.shape) && holds_one_value(scale.shape)))
      ic.fail(cat("zero point shape ", shape_str(zp.shape), " differs from scale shape ",
                  shape_str(scale.shape)));
  }
  if (block == 0 && (!scale.has_shape || holds_one_value(scale.shape))) return;
  if (ic.opset < 13)
    ic.fail(cat("a 1-D scale of ", scale.shape[0], " values (per-axis) needs opset 13, not ",
                ic.opset));
  if (!x.has_shape) return;
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 1), rank);
  if (block > 0) {
    if (!scale.has_shape) return;
    const std::string why = blocked_scale_mismatch(x.shape, scale.shape, axis, block);
    if (!why.empty()) ic.fail(why);
    return;
  }
  if (scale.shape[0] >= 0 && x.shape[axis] >= 0 && scale.shape[0] != x.shape[axis])
    ic.fail(cat("scale has ", scale.shape[0], " values but x has ", x.shape[axis], " along axis ",
                axis));
}

// QuantizeLinear's output type: the zero point's, else opset 21's output_dtype, else uint8.
DType quantized_output_dtype(const InferContext& ic) {
  const int64_t code = ic.opset >= 21 ? ic.node.attr_int("output_dtype", 0) : 0;
  // TensorProto.DataType numbers of the types QuantizeLinear writes.
  const std::map<int64_t, DType> types{
      {2, DType::kUint8}, {3, DType::kInt8}, {21, DType::kUint4}, {22, DType::kInt4}};
  DType y = DType::kUint8;
  if (code != 0) {
    const auto it = types.find(code);
    if (it == types.end())
      throw UnsupportedError(cat(ic.node.describe(), ": attribute 'output_dtype' = ", code,
                                 " is not a type sinter quantizes to (int8, uint8, int4, uint4)"));
    y = it->second;
  }
  if (ic.has_input(2)) {
    if (code != 0 && ic.input(2).dtype != y)
      ic.fail(cat("zero point is ", dtype_name(ic.input(2).dtype), " but output_dtype is ",
                  dtype_name(y)));
    y = ic.input(2).dtype;
  }
  if (!is_quantized_type(y))
    throw UnsupportedError(cat(ic.node.describe(),
                               ": zero point must be int8, uint8, int4 or uint4, got ",
                               dtype_name(y)));
  return y;
}

void set_output_like_x(InferContext& ic, DType dtype) {
  const ValueType& x = ic.input(0);
  if (x.has_shape) {
    ic.set_output(0, dtype, x.shape);
  } else {
    movement::set_output_rank_unknown(ic, 0, dtype);
  }
}

// What a kernel needs at run time, taken from the node at plan time.
struct QdqNode {
  std::string who;
  int64_t opset;
  int64_t axis;
  int64_t block;

  explicit QdqNode(const KernelInfo& ki)
      : who(ki.node.describe()),
        opset(ki.opset),
        axis(ki.node.attr_int("axis", 1)),
        block(block_size_of(ki.node, ki.opset)) {}

  kernels::AxisLayout layout(const Tensor& x, const Tensor& scale) const {
    if ((block == 0 && scale.rank() > 1) || scale.numel() < 1)
      throw ModelError(
          cat(who, ": scale must hold one value or be 1-D, got ", shape_str(scale.shape())));
    check_scale_values(who, "scale", scale);
    if (block == 0 && scale.numel() == 1) return {1, 1, x.numel()};
    if (opset < 13)
      throw ModelError(cat(who, ": a 1-D scale of ", scale.numel(),
                           " values (per-axis) needs opset 13, not ", opset));
    if (axis < -x.rank() || axis >= x.rank())
      throw ModelError(
          cat(who, ": attribute 'axis' = ", axis, " is out of range for rank ", x.rank()));
    const int64_t a = axis < 0 ? axis + x.rank() : axis;
    if (block > 0) {
      const std::string why = blocked_scale_mismatch(x.shape(), scale.shape(), a, block);
      if (!why.empty()) throw ModelError(cat(who, ": ", why));
    } else if (scale.numel() != x.dim(a)) {
      throw ModelError(cat(who, ": scale has ", scale.numel(), " values but x has ", x.dim(a),
                           " along axis ", a));
    }
    kernels::AxisLayout l;
    for (int64_t i = 0; i < a; ++i) l.outer *= x.dim(i);
    l.channels = x.dim(a);
    for (int64_t i = a + 1; i < x.rank(); ++i) l.inner *= x.dim(i);
    l.block = block;
    return l;
  }

  // Zero points widened to int32, one per scale; empty when the input is omitted.
  std::vector<int32_t> zero_points(const KernelContext& ctx) const {
    if (!ctx.has_in(2)) return {};
    const Tensor& zp = ctx.in(2);
    if (zp.numel() != ctx.in(1).numel())
      throw ModelError(
          cat(who, ": zero point has ", zp.numel(), " values but scale has ", ctx.in(1).numel()));
    std::vector<int32_t> v(static_cast<size_t>(zp.numel()));
    for (int64_t i = 0; i < zp.numel(); ++i) v[i] = static_cast<int32_t>(zp.value_as_double(i));
    return v;
  }
};

const int32_t* data_or_null(const std::vector<int32_t>& v) {
  return v.empty() ? nullptr : v.data();
}

template <bool kReference>
std::unique_ptr<Kernel> make_quantize_kernel(const KernelInfo& ki) {
  return std::make_unique<FunctionKernel>([q = QdqNode(ki)](KernelContext& ctx) {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    const std::vector<int32_t> zp = q.zero_points(ctx);
    const kernels::AxisLayout l = q.layout(x, ctx.in(1));
    const float* scale = ctx.in(1).data<float>();
    const kernels::IntRange range = range_of(y.dtype());
    dispatch_8bit(y.dtype(), [&](auto t) {
      using Q = decltype(t);
      if constexpr (kReference) {
        if (x.dtype() == DType::kInt32) {
          kernels::quantize_linear_reference(x.data<int32_t>(), y.data<Q>(), l, scale,
                                             data_or_null(zp), range);
        } else {
          kernels::quantize_linear_reference(x.data<float>(), y.data<Q>(), l, scale,
                                             data_or_null(zp), range);
        }
      } else {
        kernels::quantize_linear(x.data<float>(), y.data<Q>(), l, scale, data_or_null(zp), range,
                                 ctx.pool);
      }
    });
  });
}

OpDef make_quantize_linear() {
  OpDef def;
  def.type = "QuantizeLinear";
  def.since_opset = 10;
  def.infer = [](InferContext& ic) {
    const DType x = ic.input(0).dtype;
    if (x != DType::kFloat32 && x != DType::kInt32)
      throw UnsupportedError(
          cat(ic.node.describe(), ": x must be float32 or int32, got ", dtype_name(x)));
    const DType y = quantized_output_dtype(ic);
    infer_params(ic, y);
    set_output_like_x(ic, y);
  };
  def.impls.push_back({"quantize_linear",
                       [](const KernelInfo& ki) { return ki.inputs[0].dtype == DType::kFloat32; },
                       make_quantize_kernel<false>});
  // The plain loop runs int32 inputs, which the vector kernel does not take, and is the oracle
  // the vector kernel is tested against.
  def.impls.push_back({"generic", nullptr, make_quantize_kernel<true>});
  def.reference = KernelImpl{"reference", nullptr, make_quantize_kernel<true>};
  return def;
}

// Calls f(T{}) with T the C++ type of DequantizeLinear's input.
template <class F>
void dispatch_quantized(DType t, F&& f) {
  if (t == DType::kInt32) {
    f(int32_t{});
  } else {
    dispatch_8bit(t, f);
  }
}

template <bool kReference>
std::unique_ptr<Kernel> make_dequantize_kernel(const KernelInfo& ki) {
  return std::make_unique<FunctionKernel>([q = QdqNode(ki)](KernelContext& ctx) {
    const Tensor& x = ctx.in(0);
    const std::vector<int32_t> zp = q.zero_points(ctx);
    const kernels::AxisLayout l = q.layout(x, ctx.in(1));
    float* y = ctx.out(0).data<float>();
    const float* scale = ctx.in(1).data<float>();
    dispatch_quantized(x.dtype(), [&](auto t) {
      using Q = decltype(t);
      if constexpr (kReference) {
        kernels::dequantize_linear_reference(x.data<Q>(), y, l, scale, data_or_null(zp));
      } else {
        kernels::dequantize_linear(x.data<Q>(), y, l, scale, data_or_null(zp), ctx.pool);
      }
    });
  });
}

OpDef make_dequantize_linear() {
  OpDef def;
  def.type = "DequantizeLinear";
  def.since_opset = 10;
  def.infer = [](InferContext& ic) {
    const DType x = ic.input(0).dtype;
    if (!is_quantized_type(x) && x != DType::kInt32)
      throw UnsupportedError(cat(ic.node.describe(),
                                 ": x must be int8, uint8, int4, uint4 or int32, got ",
                                 dtype_name(x)));
    infer_params(ic, x);
    set_output_like_x(ic, DType::kFloat32);
  };
  def.impls.push_back({"dequantize_linear", nullptr, make_dequantize_kernel<false>});
  def.reference = KernelImpl{"reference", nullptr, make_dequantize_kernel<true>};
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_quantize_linear);
SINTER_REGISTER_OP(make_dequantize_linear);
}  // namespace sinter
