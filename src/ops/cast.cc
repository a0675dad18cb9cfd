// Cast: converts element types among float32/64, float16, the integer types and bool. The target
// is an ONNX TensorProto data type number in 'to'. Floats out of an integer type's range saturate
// and NaN becomes 0 (ONNX leaves both undefined).
#include <cmath>

#include "core/float16.h"
#include "core/integer_semantics.h"
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

DType dtype_from_onnx(int64_t code, const std::string& who) {
  // TensorProto.DataType numbering.
  switch (code) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kUint8;
    case 3:
      return DType::kInt8;
    case 5:
      return DType::kInt16;
    case 6:
      return DType::kInt32;
    case 7:
      return DType::kInt64;
    case 9:
      return DType::kBool;
    case 10:
      return DType::kFloat16;
    case 11:
      return DType::kFloat64;
  }
  throw UnsupportedError(
      cat(who, ": attribute 'to' = ", code, " is not a data type sinter casts to"));
}

template <class From, class To>
void convert(const From* in, To* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>)
      out[i] = in[i] != From{};
    else
      out[i] = saturate_cast<To>(in[i]);
  }
}

void cast_tensor(const Tensor& x, Tensor& y, const std::string& who) {
  int64_t n = x.numel();
  if (x.dtype() == y.dtype()) {
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return;
  }
  if (x.dtype() == DType::kFloat16) {
    // Widen to float32 first; every other type converts from there.
    Tensor f(DType::kFloat32, x.shape());
    const auto* h = static_cast<const uint16_t*>(x.raw());
    float* fp = f.data<float>();
    for (int64_t i = 0; i < n; ++i) fp[i] = half_to_float(h[i]);
    return cast_tensor(f, y, who);
  }
  if (y.dtype() == DType::kFloat16) {
    Tensor f(DType::kFloat32, x.shape());
    if (x.dtype() != DType::kFloat32) cast_tensor(x, f, who);
    const float* fp = x.dtype() == DType::kFloat32 ? x.data<float>() : f.data<float>();
    auto* h = static_cast<uint16_t*>(y.raw());
    for (int64_t i = 0; i < n; ++i) h[i] = float_to_half(fp[i]);
    return;
  }
  movement::dispatch_numeric(x.dtype(), who, [&](auto from) {
    using From = decltype(from);
    movement::dispatch_numeric(y.dtype(), who, [&](auto to) {
      using To = decltype(to);
      convert(static_cast<const From*>(x.raw()), static_cast<To*>(y.raw()), n);
    });
  });
}

OpDef make_cast() {
  OpDef def;
  def.type = "Cast";
  def.since_opset = 6;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    ValueType& y = ic.output(0);
    y = x;
    y.dtype = dtype_from_onnx(ic.node.required_int("to"), ic.node.describe());
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([who](KernelContext& ctx) {
                           cast_tensor(ctx.in(0), ctx.out(0), who);
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_cast);
}  // namespace sinter
