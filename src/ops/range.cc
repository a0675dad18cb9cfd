// Range: start, start+delta, ... up to (not including) limit; the length depends on the values,
// so the output shape is exact only when all three are known at compile time.
#include <cmath>

#include "ops/data_movement_util.h"

namespace sinter {
namespace {

int64_t range_length(const Tensor& start, const Tensor& limit, const Tensor& delta,
                     const std::string& who) {
  double s = start.value_as_double(0), l = limit.value_as_double(0), d = delta.value_as_double(0);
  if (d == 0) throw InputError(cat(who, ": delta must not be 0"));
  return std::max<int64_t>(static_cast<int64_t>(std::ceil((l - s) / d)), 0);
}

OpDef make_range() {
  OpDef def;
  def.type = "Range";
  def.since_opset = 11;
  def.infer = [](InferContext& ic) {
    DType dt = ic.input(0).dtype;
    for (size_t i = 0; i < 3; ++i) {
      const ValueType& t = ic.input(i);
      if (t.dtype != dt) ic.fail("start, limit and delta must have the same dtype");
      if (t.has_shape && shape_numel(t.shape) != 1) ic.fail(cat("input ", i, " must be a scalar"));
    }
    if (dt == DType::kBool || dt == DType::kFloat16)
      ic.fail(cat("dtype ", dtype_name(dt), " is not supported"));
    const Tensor *s = ic.value(0), *l = ic.value(1), *d = ic.value(2);
    ic.set_output(0, dt, {s && l && d ? range_length(*s, *l, *d, ic.node.describe()) : -1});
  };
  def.impls.push_back({"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([who](KernelContext& ctx) {
                           Tensor& y = ctx.out(0);
                           movement::dispatch_numeric(y.dtype(), who, [&](auto t) {
                             using T = decltype(t);
                             T start = *static_cast<const T*>(ctx.in(0).raw());
                             T delta = *static_cast<const T*>(ctx.in(2).raw());
                             T* out = static_cast<T*>(y.raw());
                             // Accumulated, as the spec's loop body and ONNX Runtime do.
                             T v = start;
                             for (int64_t i = 0; i < y.numel(); ++i) {
                               out[i] = v;
                               v = static_cast<T>(v + delta);
                             }
                           });
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_range);
}  // namespace sinter
