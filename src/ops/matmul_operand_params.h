#pragma once
// Zero points and scales of the operands of MatMulInteger and QLinearMatMul: one value for the
// whole operand, or one per row of A and one per column of B. ONNX writes a per-row parameter of
// A [..., M, K] as an M-vector (2-D A) or a tensor [..., M, 1], and a per-column one of B
// [..., K, N] as an N-vector or a tensor [..., 1, N]; leading dims of 1 broadcast over the batch,
// as numpy would broadcast them against the operand.
#include <string>
#include <vector>

#include "ops/matmul_shape.h"
#include "ops/op_registry.h"

namespace sinter {

enum class MatMulOperand { kA, kB };

// Fails naming the node and `name` unless input i fits `operand` (a shape that may hold unknown
// dims) as a per-tensor, per-row (A) or per-column (B) parameter.
void check_operand_param(const InferContext& ic, size_t i, const char* name, const Shape& operand,
                         MatMulOperand which);

// At run time: the parameter's value for every row of A (index b * M + m over A's own batch b)
// or every column of B (b * N + n), widened to T; throws ModelError naming `who` and `name` when
// the parameter does not fit.
template <class T>
std::vector<T> operand_param_values(const std::string& who, const char* name, const Tensor& param,
                                    const Shape& operand, MatMulOperand which);

// The exact sums of batch item `offset` (A's and B's batch index, batch_offsets) of an integer
// MatMul of 8-bit a and b, their zero points per row and column subtracted: sums [M][N].
void integer_matmul_sums(const Tensor& a, const Tensor& b, const std::vector<int32_t>& a_zero_point,
                         const std::vector<int32_t>& b_zero_point, const MatMulShape& s,
                         std::pair<int64_t, int64_t> offset, int64_t* sums);

}  // namespace sinter
