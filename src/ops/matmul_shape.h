#pragma once
// The numpy matmul geometry shared by MatMul, MatMulInteger and QLinearMatMul: 1-D operands are
// promoted to a row (A) or a column (B) and the promoted dim dropped again; leading dims
// broadcast as a batch.
#include <utility>
#include <vector>

#include "core/shape.h"
#include "ir/node.h"

namespace sinter {

struct MatMulShape {
  int64_t M = 1, N = 1, K = 1;
  Shape batch_a, batch_b, batch;  // batch dims of A, B and their broadcast
  Shape out;

  // Multiply-adds times two.
  double flops() const { return 2.0 * shape_numel(batch) * M * N * K; }
};

// The geometry of A x B; shapes may hold unknown (-1) dims. Throws ModelError naming the node
// when the operands do not multiply.
MatMulShape matmul_shape(const Node& node, const Shape& a, const Shape& b);

// Offsets (in matrices) of A's and B's operand for each output batch index.
std::vector<std::pair<int64_t, int64_t>> batch_offsets(const MatMulShape& s);

}  // namespace sinter
