// Size: the element count of its input as an int64 scalar; known at compile time whenever the
// input shape is static.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

OpDef make_size() {
  OpDef def;
  def.type = "Size";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    ic.set_output(0, DType::kInt64, {});
    if (x.has_shape && shape_is_static(x.shape)) {
      ic.set_output_value(0, Tensor::scalar<int64_t>(shape_numel(x.shape)));
    }
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           *ctx.out(0).data<int64_t>() = ctx.in(0).numel();
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_size);
}  // namespace sinter
