// DynamicQuantizeLinear (opset 11): quantizes a float32 tensor to uint8 with a scale and zero
// point chosen from its own range (kernels/quant/dynamic_quantize_params.h), and returns them:
// y = saturate(round_half_even(x / y_scale) + y_zero_point), the same values QuantizeLinear
// gives for that scale and zero point. A NaN or infinity in x, or a range wider than float,
// leaves no finite scale: that is a NumericError naming the node.
#include <cmath>

#include "kernels/quant/dynamic_quantize_params.h"
#include "kernels/quant/quantize_linear.h"
#include "ops/data_movement_util.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

void infer_dynamic_quantize_linear(InferContext& ic) {
  if (ic.num_inputs() != 1 || ic.node.outputs.size() != 3)
    ic.fail(cat("expects 1 input and 3 outputs, got ", ic.num_inputs(), " and ",
                ic.node.outputs.size()));
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32) ic.fail(cat("x must be float32, got ", dtype_name(x.dtype)));
  if (x.has_shape) {
    ic.set_output(0, DType::kUint8, x.shape);
  } else {
    movement::set_output_rank_unknown(ic, 0, DType::kUint8);
  }
  ic.set_output(1, DType::kFloat32, {});
  ic.set_output(2, DType::kUint8, {});
}

std::unique_ptr<Kernel> make_dynamic_quantize_kernel(const KernelInfo& ki) {
  return std::make_unique<FunctionKernel>([who = ki.node.describe()](KernelContext& ctx) {
    const Tensor& x = ctx.in(0);
    if (const int64_t bad = find_nonfinite(x); bad >= 0)
      throw NumericError(cat(who, ": x holds ",
                             std::isnan(x.data<float>()[bad]) ? "NaN" : "an infinity", " at index ",
                             bad, "; no finite scale quantizes it"));
    const kernels::DynamicQuantizeParams p =
        kernels::dynamic_quantize_params(x.data<float>(), x.numel());
    if (!std::isfinite(p.scale))
      throw NumericError(cat(who,
                             ": the range of x is wider than float32 holds; its scale "
                             "would be infinite"));
    const int32_t zero_point = p.zero_point;
    kernels::quantize_linear(x.data<float>(), ctx.out(0).data<uint8_t>(), {1, 1, x.numel()},
                             &p.scale, &zero_point, {0, 255}, ctx.pool);
    ctx.out(1).data<float>()[0] = p.scale;
    ctx.out(2).data<uint8_t>()[0] = p.zero_point;
  });
}

OpDef make_dynamic_quantize_linear() {
  OpDef def;
  def.type = "DynamicQuantizeLinear";
  def.since_opset = 11;
  def.infer = infer_dynamic_quantize_linear;
  def.impls.push_back({"generic", nullptr, make_dynamic_quantize_kernel});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_dynamic_quantize_linear);
}  // namespace sinter
