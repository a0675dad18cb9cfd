// QLinearMatMul (opset 10): numpy matmul of quantized operands into a quantized output,
//   y[m][n] = saturate(round_half_even(sum * a_scale[m] * b_scale[n] / y_scale) + y_zero_point),
//   sum = sum over k of (a[m][k] - a_zero_point[m]) * (b[k][n] - b_zero_point[n]),
// with the exact integer sums of kernels/integer. a, b and y are int8 or uint8 each (the type of
// their zero point); a's scale and zero point are per-tensor or one per row, b's per-tensor or
// one per column (matmul_operand_params.h), y's per-tensor. Batch dims broadcast as in MatMul.
#include <vector>

#include "kernels/integer/requantize_reference.h"
#include "ops/eight_bit_types.h"
#include "ops/matmul_operand_params.h"
#include "ops/matmul_shape.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {
namespace {

enum Input : size_t { kA, kAScale, kAZeroPoint, kB, kBScale, kBZeroPoint, kYScale, kYZeroPoint };

void infer_qlinear_matmul(InferContext& ic) {
  if (ic.num_inputs() != 8) ic.fail(cat("expects 8 inputs, got ", ic.num_inputs()));
  const ValueType& a = ic.input(kA);
  const ValueType& b = ic.input(kB);
  const DType y = ic.input(kYZeroPoint).dtype;
  if (!is_8bit(a.dtype)) ic.fail(cat("a must be int8 or uint8, got ", dtype_name(a.dtype)));
  if (!is_8bit(b.dtype)) ic.fail(cat("b must be int8 or uint8, got ", dtype_name(b.dtype)));
  if (!is_8bit(y)) ic.fail(cat("y_zero_point must be int8 or uint8, got ", dtype_name(y)));
  require_zero_point_type(ic, kAZeroPoint, "a_zero_point", a.dtype, "a");
  require_zero_point_type(ic, kBZeroPoint, "b_zero_point", b.dtype, "b");
  for (const auto& [i, name] : {std::pair{kAScale, "a_scale"}, std::pair{kBScale, "b_scale"},
                                std::pair{kYScale, "y_scale"}}) {
    require_scale_type(ic, i, name);
    check_known_scale(ic, i, name);
  }
  check_one_value(ic, kYScale, "y_scale");
  check_one_value(ic, kYZeroPoint, "y_zero_point");
  if (a.has_shape) {
    check_operand_param(ic, kAScale, "a_scale", a.shape, MatMulOperand::kA);
    check_operand_param(ic, kAZeroPoint, "a_zero_point", a.shape, MatMulOperand::kA);
  }
  if (b.has_shape) {
    check_operand_param(ic, kBScale, "b_scale", b.shape, MatMulOperand::kB);
    check_operand_param(ic, kBZeroPoint, "b_zero_point", b.shape, MatMulOperand::kB);
  }
  if (!a.has_shape || !b.has_shape) {
    ic.output(0).dtype = y;
    return;
  }
  ic.set_output(0, y, matmul_shape(ic.node, a.shape, b.shape).out);
}

// The plain loops of kernels/integer; every parameter is read and checked at each run, since
// any of them may be fed at run time.
class QLinearMatMulKernel : public Kernel {
 public:
  explicit QLinearMatMulKernel(const KernelInfo& ki) : node_(ki.node), who_(ki.node.describe()) {}

  void run(KernelContext& ctx) override {
    const Tensor& a = ctx.in(kA);
    const Tensor& b = ctx.in(kB);
    Tensor& y = ctx.out(0);
    const MatMulShape s = matmul_shape(node_, a.shape(), b.shape());
    check_scale_values(who_, "a_scale", ctx.in(kAScale));
    check_scale_values(who_, "b_scale", ctx.in(kBScale));
    const auto a_scale = operand_param_values<double>(who_, "a_scale", ctx.in(kAScale), a.shape(),
                                                      MatMulOperand::kA);
    const auto a_zero_point = operand_param_values<int32_t>(
        who_, "a_zero_point", ctx.in(kAZeroPoint), a.shape(), MatMulOperand::kA);
    const auto b_scale = operand_param_values<double>(who_, "b_scale", ctx.in(kBScale), b.shape(),
                                                      MatMulOperand::kB);
    const auto b_zero_point = operand_param_values<int32_t>(
        who_, "b_zero_point", ctx.in(kBZeroPoint), b.shape(), MatMulOperand::kB);
    const double y_scale = single_scale(who_, "y_scale", ctx.in(kYScale));
    const int32_t y_zero_point = single_zero_point(who_, "y_zero_point", ctx.in(kYZeroPoint));
    const kernels::IntRange range = range_of(y.dtype());
    const int64_t M = s.M, N = s.N;
    std::vector<int64_t> sums(static_cast<size_t>(M * N));
    const auto offsets = batch_offsets(s);
    for (size_t i = 0; i < offsets.size(); ++i) {
      // Named copies: lambdas may not capture structured bindings before C++20 as clang reads it.
      const int64_t oa = offsets[i].first, ob = offsets[i].second;
      integer_matmul_sums(a, b, a_zero_point, b_zero_point, s, offsets[i], sums.data());
      dispatch_8bit(y.dtype(), [&](auto ty) {
        auto* yi = y.data<decltype(ty)>() + static_cast<int64_t>(i) * M * N;
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n)
            yi[m * N + n] = static_cast<decltype(ty)>(kernels::requantize_reference(
                sums[m * N + n], a_scale[oa * M + m] * b_scale[ob * N + n], y_scale, y_zero_point,
                range));
      });
    }
  }

 private:
  Node node_;
  std::string who_;
};

OpDef make_qlinear_matmul() {
  OpDef def;
  def.type = "QLinearMatMul";
  def.since_opset = 10;
  def.infer = infer_qlinear_matmul;
  def.flops = [](const KernelInfo& ki) {
    return matmul_shape(ki.node, ki.inputs[kA].shape, ki.inputs[kB].shape).flops();
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<QLinearMatMulKernel>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qlinear_matmul);
}  // namespace sinter
