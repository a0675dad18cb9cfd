// QLinearConv (opset 10): a convolution of quantized tensors into a quantized output,
//   y = saturate(round_half_even(sum * x_scale * w_scale[m] / y_scale) + y_zero_point),
//   sum = B[m] + sum over the window of (x - x_zero_point) * (w - w_zero_point[m]),
// with the exact integer sums of kernels/integer. x, w and y are int8 or uint8 each (the type of
// their zero point); w's scale and zero point are per-tensor or one per output channel m, the
// others per-tensor; the optional bias B is int32, quantized with scale x_scale * w_scale and
// zero point 0. Conv's attributes and dims (1-D and 2-D) as conv_common.h reads them.
#include <vector>

#include "kernels/integer/conv_integer_reference.h"
#include "kernels/integer/requantize_reference.h"
#include "ops/conv_common.h"
#include "ops/eight_bit_types.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {
namespace {

enum Input : size_t {
  kX,
  kXScale,
  kXZeroPoint,
  kW,
  kWScale,
  kWZeroPoint,
  kYScale,
  kYZeroPoint,
  kBias,
};

void infer_qlinear_conv(InferContext& ic) {
  if (ic.num_inputs() < 8 || ic.num_inputs() > 9)
    ic.fail(cat("expects 8 or 9 inputs, got ", ic.num_inputs()));
  const ValueType& x = ic.input(kX);
  const ValueType& w = ic.input(kW);
  const DType y = ic.input(kYZeroPoint).dtype;
  if (!is_8bit(x.dtype)) ic.fail(cat("x must be int8 or uint8, got ", dtype_name(x.dtype)));
  if (!is_8bit(w.dtype)) ic.fail(cat("w must be int8 or uint8, got ", dtype_name(w.dtype)));
  if (!is_8bit(y)) ic.fail(cat("y_zero_point must be int8 or uint8, got ", dtype_name(y)));
  require_zero_point_type(ic, kXZeroPoint, "x_zero_point", x.dtype, "x");
  require_zero_point_type(ic, kWZeroPoint, "w_zero_point", w.dtype, "w");
  for (const auto& [i, name] : {std::pair{kXScale, "x_scale"}, std::pair{kWScale, "w_scale"},
                                std::pair{kYScale, "y_scale"}}) {
    require_scale_type(ic, i, name);
    check_known_scale(ic, i, name);
  }
  check_one_value(ic, kXScale, "x_scale");
  check_one_value(ic, kXZeroPoint, "x_zero_point");
  check_one_value(ic, kYScale, "y_scale");
  check_one_value(ic, kYZeroPoint, "y_zero_point");
  const int64_t M = w.has_shape && !w.shape.empty() ? w.shape[0] : -1;
  check_one_or_per_channel(ic, kWScale, "w_scale", M, "output channel");
  check_one_or_per_channel(ic, kWZeroPoint, "w_zero_point", M, "output channel");
  if (ic.has_input(kBias)) {
    if (ic.input(kBias).dtype != DType::kInt32)
      ic.fail(cat("B must be int32, got ", dtype_name(ic.input(kBias).dtype)));
    check_conv_bias(ic, kBias, M);
  }
  if (!x.has_shape || !w.has_shape) {
    ic.output(0).dtype = y;
    return;
  }
  ic.set_output(0, y, conv_output_shape(ic, x.shape, w.shape));
}

// The plain loops of kernels/integer; every parameter is read and checked at each run, since
// any of them may be fed at run time.
class QLinearConvKernel : public Kernel {
 public:
  explicit QLinearConvKernel(const KernelInfo& ki) : node_(ki.node), who_(ki.node.describe()) {}

  void run(KernelContext& ctx) override {
    const Tensor& x = ctx.in(kX);
    const Tensor& w = ctx.in(kW);
    Tensor& y = ctx.out(0);
    const Conv2dShape s = conv_shape(node_, x.shape(), w.shape());
    const double x_scale = single_scale(who_, "x_scale", ctx.in(kXScale));
    const int32_t x_zero_point = single_zero_point(who_, "x_zero_point", ctx.in(kXZeroPoint));
    const std::vector<double> w_scale = per_channel_scales(who_, "w_scale", ctx.in(kWScale), s.M);
    const std::vector<int32_t> w_zero_point =
        per_channel_zero_points(who_, "w_zero_point", ctx.in(kWZeroPoint), s.M);
    const double y_scale = single_scale(who_, "y_scale", ctx.in(kYScale));
    const int32_t y_zero_point = single_zero_point(who_, "y_zero_point", ctx.in(kYZeroPoint));
    const int32_t* bias = nullptr;
    if (ctx.has_in(kBias)) {
      if (ctx.in(kBias).numel() != s.M)
        throw ModelError(cat(who_, ": B has ", ctx.in(kBias).numel(), " values, not one per ", s.M,
                             " output channels"));
      bias = ctx.in(kBias).data<int32_t>();
    }
    std::vector<int64_t> sums(static_cast<size_t>(y.numel()));
    dispatch_8bit(x.dtype(), [&](auto tx) {
      dispatch_8bit(w.dtype(), [&](auto tw) {
        kernels::conv_integer_reference(s, x.data<decltype(tx)>(), x_zero_point,
                                        w.data<decltype(tw)>(), w_zero_point.data(), bias,
                                        sums.data());
      });
    });
    const kernels::IntRange range = range_of(y.dtype());
    const int64_t plane = s.OH() * s.OW();
    dispatch_8bit(y.dtype(), [&](auto ty) {
      auto* out = y.data<decltype(ty)>();
      for (int64_t i = 0; i < y.numel(); ++i) {
        const int64_t m = i / plane % s.M;
        out[i] = static_cast<decltype(ty)>(kernels::requantize_reference(
            sums[i], x_scale * w_scale[m], y_scale, y_zero_point, range));
      }
    });
  }

 private:
  Node node_;
  std::string who_;
};

OpDef make_qlinear_conv() {
  OpDef def;
  def.type = "QLinearConv";
  def.since_opset = 10;
  def.infer = infer_qlinear_conv;
  def.flops = [](const KernelInfo& ki) {
    return conv_flops(ki.inputs[kW].shape, ki.outputs[0].shape);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<QLinearConvKernel>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qlinear_conv);
}  // namespace sinter
