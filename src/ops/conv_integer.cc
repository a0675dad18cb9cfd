// ConvInteger (opset 10): the exact integer convolution of kernels/integer into int32,
//   y = sum over the window of (x - x_zero_point) * (w - w_zero_point[m]),
// x and w int8 or uint8 each, with their zero points (optional, 0 when omitted) of the same
// type: x's per-tensor, w's per-tensor or one per output channel m. Conv's attributes and dims
// (1-D and 2-D) as conv_common.h reads them.
#include <vector>

#include "kernels/integer/conv_integer_reference.h"
#include "ops/conv_common.h"
#include "ops/eight_bit_types.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {
namespace {

enum Input : size_t { kX, kW, kXZeroPoint, kWZeroPoint };

void infer_conv_integer(InferContext& ic) {
  if (ic.num_inputs() < 2 || ic.num_inputs() > 4)
    ic.fail(cat("expects 2 to 4 inputs, got ", ic.num_inputs()));
  const ValueType& x = ic.input(kX);
  const ValueType& w = ic.input(kW);
  if (!is_8bit(x.dtype)) ic.fail(cat("x must be int8 or uint8, got ", dtype_name(x.dtype)));
  if (!is_8bit(w.dtype)) ic.fail(cat("w must be int8 or uint8, got ", dtype_name(w.dtype)));
  if (ic.has_input(kXZeroPoint)) {
    require_zero_point_type(ic, kXZeroPoint, "x_zero_point", x.dtype, "x");
    check_one_value(ic, kXZeroPoint, "x_zero_point");
  }
  if (ic.has_input(kWZeroPoint)) {
    require_zero_point_type(ic, kWZeroPoint, "w_zero_point", w.dtype, "w");
    const int64_t M = w.has_shape && !w.shape.empty() ? w.shape[0] : -1;
    check_one_or_per_channel(ic, kWZeroPoint, "w_zero_point", M, "output channel");
  }
  if (!x.has_shape || !w.has_shape) {
    ic.output(0).dtype = DType::kInt32;
    return;
  }
  ic.set_output(0, DType::kInt32, conv_output_shape(ic, x.shape, w.shape));
}

class ConvIntegerKernel : public Kernel {
 public:
  explicit ConvIntegerKernel(const KernelInfo& ki) : node_(ki.node), who_(ki.node.describe()) {}

  void run(KernelContext& ctx) override {
    const Tensor& x = ctx.in(kX);
    const Tensor& w = ctx.in(kW);
    Tensor& y = ctx.out(0);
    const Conv2dShape s = conv_shape(node_, x.shape(), w.shape());
    const int32_t x_zero_point =
        ctx.has_in(kXZeroPoint) ? single_zero_point(who_, "x_zero_point", ctx.in(kXZeroPoint)) : 0;
    const std::vector<int32_t> w_zero_point =
        ctx.has_in(kWZeroPoint)
            ? per_channel_zero_points(who_, "w_zero_point", ctx.in(kWZeroPoint), s.M)
            : std::vector<int32_t>(static_cast<size_t>(s.M), 0);
    std::vector<int64_t> sums(static_cast<size_t>(y.numel()));
    dispatch_8bit(x.dtype(), [&](auto tx) {
      dispatch_8bit(w.dtype(), [&](auto tw) {
        kernels::conv_integer_reference(s, x.data<decltype(tx)>(), x_zero_point,
                                        w.data<decltype(tw)>(), w_zero_point.data(), nullptr,
                                        sums.data());
      });
    });
    // Modulo 2^32 where a sum leaves int32, as a 32-bit accumulator would wrap.
    int32_t* out = y.data<int32_t>();
    for (int64_t i = 0; i < y.numel(); ++i) out[i] = static_cast<int32_t>(sums[i]);
  }

 private:
  Node node_;
  std::string who_;
};

OpDef make_conv_integer() {
  OpDef def;
  def.type = "ConvInteger";
  def.since_opset = 10;
  def.infer = infer_conv_integer;
  def.flops = [](const KernelInfo& ki) {
    return conv_flops(ki.inputs[kW].shape, ki.outputs[0].shape);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<ConvIntegerKernel>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_conv_integer);
}  // namespace sinter
