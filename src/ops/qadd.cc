// sinter::QAdd: the Add of two quantized u8 tensors of one shape (kernels/qeltwise/qadd.h), made
// by the integer-layers pass. Attributes: a_scale, a_zero_point, b_scale, b_zero_point, y_scale,
// y_zero_point, and the output range y_min, y_max (a fused ReLU).

#include "kernels/qeltwise/qadd.h"

#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

kernels::QAddQuant quant_of(const Node& node) {
  kernels::QAddQuant q;
  q.a_scale = scale_attribute(node, "a_scale");
  q.a_zero_point = static_cast<int32_t>(node.attr_int_in("a_zero_point", 0, 0, 255));
  q.b_scale = scale_attribute(node, "b_scale");
  q.b_zero_point = static_cast<int32_t>(node.attr_int_in("b_zero_point", 0, 0, 255));
  q.y_scale = scale_attribute(node, "y_scale");
  q.y_zero_point = static_cast<int32_t>(node.attr_int_in("y_zero_point", 0, 0, 255));
  q.y_min = static_cast<int32_t>(node.attr_int_in("y_min", 0, 0, 255));
  q.y_max = static_cast<int32_t>(node.attr_int_in("y_max", 255, q.y_min, 255));
  return q;
}

void infer_qadd(InferContext& ic) {
  if (ic.num_inputs() != 2) ic.fail(cat("expects 2 inputs, got ", ic.num_inputs()));
  const ValueType& a = ic.input(0);
  const ValueType& b = ic.input(1);
  if (a.dtype != DType::kUint8 || b.dtype != DType::kUint8) ic.fail("expects u8 inputs");
  if (!a.has_shape || !b.has_shape || a.shape != b.shape || !shape_is_static(a.shape))
    ic.fail(cat("needs two static inputs of one shape, got ", shape_str(a.shape), " and ",
                shape_str(b.shape)));
  quant_of(ic.node);
  ic.set_output(0, DType::kUint8, a.shape);
}

OpDef make_qadd() {
  OpDef def;
  def.type = "QAdd";
  def.domain = "sinter";
  def.infer = infer_qadd;
  def.impls.push_back({"qadd", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const kernels::QAddQuant q = quant_of(ki.node);
                         return std::make_unique<FunctionKernel>([q](KernelContext& ctx) {
                           kernels::qadd(ctx.in(0).data<uint8_t>(), ctx.in(1).data<uint8_t>(),
                                         ctx.in(0).numel(), q, ctx.out(0).data<uint8_t>(),
                                         ctx.pool);
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qadd);
}  // namespace sinter
