// Constant: a tensor stored in the node. Its value is known at compile time, so inference hands
// it over directly and folding never has to run a kernel.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

Tensor constant_value(const InferContext& ic) {
  const Node& n = ic.node;
  if (n.has_attr("value")) return n.attr_tensor("value");
  if (n.has_attr("value_float")) return Tensor::scalar<float>(n.attr_float("value_float", 0.f));
  if (n.has_attr("value_int")) return Tensor::scalar<int64_t>(n.attr_int("value_int", 0));
  if (n.has_attr("value_floats")) {
    std::vector<float> v = n.attr_floats("value_floats");
    return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  }
  if (n.has_attr("value_ints")) {
    std::vector<int64_t> v = n.attr_ints("value_ints");
    return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  for (const char* s : {"value_string", "value_strings", "sparse_value"})
    if (n.has_attr(s))
      throw UnsupportedError(cat(n.describe(), ": attribute '", s, "' is not supported"));
  ic.fail("needs one of the value attributes");
}

OpDef make_constant() {
  OpDef def;
  def.type = "Constant";
  def.infer = [](InferContext& ic) {
    Tensor v = constant_value(ic);
    ic.set_output(0, v.dtype(), v.shape());
    ic.set_output_value(0, v);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         InferContext ic{ki.node, ki.opset, {}, {}, {}, {}};
                         Tensor v = constant_value(ic);  // shares the node's buffer
                         return std::make_unique<FunctionKernel>([v](KernelContext& ctx) {
                           if (v.nbytes()) std::memcpy(ctx.out(0).raw(), v.raw(), v.nbytes());
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_constant);
}  // namespace sinter
