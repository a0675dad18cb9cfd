// ReluGrad(dY, Y) -> dX (domain "sinter", made by Relu's gradient rule): dX = dY where Y > 0,
// else 0, in one pass instead of a Greater and a Where.
#include "kernels/eltwise/relu_backward.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

OpDef make_relu_grad() {
  OpDef def;
  def.type = "ReluGrad";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    if (ic.num_inputs() != 2) ic.fail("expects 2 inputs (dY, Y)");
    const ValueType& dy = ic.input(0);
    const ValueType& y = ic.input(1);
    if (dy.dtype != DType::kFloat32 || y.dtype != DType::kFloat32)
      ic.fail("dY and Y must be float32");
    // Element i of dY pairs with element i of Y: no broadcasting.
    if (dy.has_shape && y.has_shape && dy.shape != y.shape)
      ic.fail(cat("dY ", shape_str(dy.shape), " and Y ", shape_str(y.shape), " differ in shape"));
    if (dy.has_shape || y.has_shape) {
      ic.set_output(0, DType::kFloat32, dy.has_shape ? dy.shape : y.shape);
    } else {
      ic.output(0).dtype = DType::kFloat32;
    }
  };
  def.flops = [](const KernelInfo& ki) { return double(shape_numel(ki.outputs[0].shape)); };
  auto make = [](bool reference) {
    return [reference](const KernelInfo&) -> std::unique_ptr<Kernel> {
      return std::make_unique<FunctionKernel>([reference](KernelContext& ctx) {
        const Tensor& dy = ctx.in(0);
        if (dy.shape() != ctx.in(1).shape())
          throw InputError(cat("ReluGrad: dY ", shape_str(dy.shape()), " and Y ",
                               shape_str(ctx.in(1).shape()), " differ in shape"));
        const float* y = ctx.in(1).data<float>();
        float* dx = ctx.out(0).data<float>();
        reference ? kernels::relu_backward_reference(dy.data<float>(), y, dx, dy.numel())
                  : kernels::relu_backward(dy.data<float>(), y, dx, dy.numel(), ctx.pool);
      });
    };
  };
  def.impls.push_back({"eltwise", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_relu_grad);
}  // namespace sinter
