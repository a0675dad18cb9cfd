// ConstantOfShape: a tensor of the shape given by input 0, filled with the one-element 'value'
// attribute (float32 zero by default).
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

Tensor fill_value(const Node& n) {
  if (!n.has_attr("value")) return Tensor::scalar<float>(0.f);
  const Tensor& v = n.attr_tensor("value");
  if (v.numel() != 1)
    throw ModelError(cat(n.describe(), ": 'value' must hold one element, not ", v.numel()));
  return v;
}

OpDef make_constant_of_shape() {
  OpDef def;
  def.type = "ConstantOfShape";
  def.since_opset = 9;
  def.infer = [](InferContext& ic) {
    DType dt = fill_value(ic.node).dtype();
    const ValueType& s = ic.input(0);
    const std::string what = "input 'input'";
    if (s.has_shape && s.shape.size() != 1)
      ic.fail(cat(what, " must be 1-D, not ", shape_str(s.shape)));
    if (const Tensor* v = ic.value(0)) {
      Shape out = movement::int_values(ic, what, *v);
      movement::require_rank_bound(ic, what, out.size());
      for (size_t i = 0; i < out.size(); ++i)
        if (out[i] < 0) ic.fail(cat(what, "[", i, "] = ", out[i], " is negative"));
      movement::require_addressable(ic, what, out, dt);
      ic.set_output(0, dt, out);
    } else if (s.has_shape && s.shape[0] >= 0 && s.shape[0] <= movement::kMaxRank) {
      ic.set_output(0, dt, Shape(s.shape[0], -1));
    } else {
      movement::set_output_rank_unknown(ic, 0, dt);
    }
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         Tensor v = fill_value(ki.node).clone();
                         return std::make_unique<FunctionKernel>([v](KernelContext& ctx) {
                           Tensor& y = ctx.out(0);
                           size_t es = dtype_size(y.dtype());
                           auto* dst = static_cast<std::byte*>(y.raw());
                           for (int64_t i = 0; i < y.numel(); ++i)
                             std::memcpy(dst + i * es, v.raw(), es);
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_constant_of_shape);
}  // namespace sinter
