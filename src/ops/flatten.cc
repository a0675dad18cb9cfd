// Flatten: [d0..dn] -> [d0*..*d(axis-1), d(axis)*..*dn]; a view of its input.
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

OpDef make_flatten() {
  OpDef def;
  def.type = "Flatten";
  def.output_is_view_of_input0 = true;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (!x.has_shape) ic.fail("input rank must be known");
    int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = ic.node.attr_int("axis", 1);
    // Unlike other axes, rank itself is allowed: everything goes into the outer dim.
    if (axis < -rank || axis > rank)
      ic.fail(cat("attribute 'axis' = ", axis, " is out of range for rank ", rank,
                  " (valid: ", -rank, " to ", rank, ")"));
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t& part = i < axis ? outer : inner;
      part = (part < 0 || x.shape[i] < 0) ? -1 : checked_mul(part, x.shape[i]);
    }
    ic.set_output(0, x.dtype, {outer, inner});
  };
  def.impls.push_back({"view", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext&) {});
                       }});
  def.gradient = reshape_to_input_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_flatten);
}  // namespace sinter
