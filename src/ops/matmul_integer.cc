// MatMulInteger (opset 10): numpy matmul of int8/uint8 operands into exact int32,
//   y[m][n] = sum over k of (a[m][k] - a_zero_point[m]) * (b[k][n] - b_zero_point[n]),
// the zero points optional (0 when omitted), of their operand's type, per-tensor or one per row
// of A and one per column of B (matmul_operand_params.h). Batch dims broadcast as in MatMul.
#include <vector>

#include "ops/eight_bit_types.h"
#include "ops/matmul_operand_params.h"
#include "ops/matmul_shape.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {
namespace {

enum Input : size_t { kA, kB, kAZeroPoint, kBZeroPoint };

void infer_matmul_integer(InferContext& ic) {
  if (ic.num_inputs() < 2 || ic.num_inputs() > 4)
    ic.fail(cat("expects 2 to 4 inputs, got ", ic.num_inputs()));
  const ValueType& a = ic.input(kA);
  const ValueType& b = ic.input(kB);
  if (!is_8bit(a.dtype)) ic.fail(cat("A must be int8 or uint8, got ", dtype_name(a.dtype)));
  if (!is_8bit(b.dtype)) ic.fail(cat("B must be int8 or uint8, got ", dtype_name(b.dtype)));
  if (ic.has_input(kAZeroPoint)) {
    require_zero_point_type(ic, kAZeroPoint, "a_zero_point", a.dtype, "A");
    if (a.has_shape)
      check_operand_param(ic, kAZeroPoint, "a_zero_point", a.shape, MatMulOperand::kA);
  }
  if (ic.has_input(kBZeroPoint)) {
    require_zero_point_type(ic, kBZeroPoint, "b_zero_point", b.dtype, "B");
    if (b.has_shape)
      check_operand_param(ic, kBZeroPoint, "b_zero_point", b.shape, MatMulOperand::kB);
  }
  if (!a.has_shape || !b.has_shape) {
    ic.output(0).dtype = DType::kInt32;
    return;
  }
  ic.set_output(0, DType::kInt32, matmul_shape(ic.node, a.shape, b.shape).out);
}

class MatMulIntegerKernel : public Kernel {
 public:
  explicit MatMulIntegerKernel(const KernelInfo& ki) : node_(ki.node), who_(ki.node.describe()) {}

  void run(KernelContext& ctx) override {
    const Tensor& a = ctx.in(kA);
    const Tensor& b = ctx.in(kB);
    const MatMulShape s = matmul_shape(node_, a.shape(), b.shape());
    const std::vector<int32_t> a_zero_point =
        ctx.has_in(kAZeroPoint)
            ? operand_param_values<int32_t>(who_, "a_zero_point", ctx.in(kAZeroPoint), a.shape(),
                                            MatMulOperand::kA)
            : std::vector<int32_t>(static_cast<size_t>(shape_numel(s.batch_a) * s.M), 0);
    const std::vector<int32_t> b_zero_point =
        ctx.has_in(kBZeroPoint)
            ? operand_param_values<int32_t>(who_, "b_zero_point", ctx.in(kBZeroPoint), b.shape(),
                                            MatMulOperand::kB)
            : std::vector<int32_t>(static_cast<size_t>(shape_numel(s.batch_b) * s.N), 0);
    const int64_t M = s.M, N = s.N;
    std::vector<int64_t> sums(static_cast<size_t>(M * N));
    int32_t* y = ctx.out(0).data<int32_t>();
    const auto offsets = batch_offsets(s);
    for (size_t i = 0; i < offsets.size(); ++i) {
      integer_matmul_sums(a, b, a_zero_point, b_zero_point, s, offsets[i], sums.data());
      // Modulo 2^32 where a sum leaves int32, as a 32-bit accumulator would wrap.
      int32_t* yi = y + static_cast<int64_t>(i) * M * N;
      for (int64_t j = 0; j < M * N; ++j) yi[j] = static_cast<int32_t>(sums[j]);
    }
  }

 private:
  Node node_;
  std::string who_;
};

OpDef make_matmul_integer() {
  OpDef def;
  def.type = "MatMulInteger";
  def.since_opset = 10;
  def.infer = infer_matmul_integer;
  def.flops = [](const KernelInfo& ki) {
    return matmul_shape(ki.node, ki.inputs[kA].shape, ki.inputs[kB].shape).flops();
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<MatMulIntegerKernel>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_matmul_integer);
}  // namespace sinter
