// Trilu (opset 14): the upper (upper = 1, the default) or lower triangle of each matrix in the
// last two axes, from diagonal k on (input 1, a scalar, default 0); the rest is zero. Any element
// type: each row is zeroed and its kept column range copied as bytes.
#include <algorithm>
#include <cstring>

#include "ops/data_movement_util.h"

namespace sinter {
namespace {

// Keeps columns [first, last) of each row i, where for the upper triangle first = i + k and last
// = cols, for the lower first = 0 and last = i + k + 1, clamped to the row.
void trilu(const std::byte* x, std::byte* y, int64_t matrices, int64_t rows, int64_t cols,
           size_t element, bool upper, int64_t k) {
  const size_t row_bytes = static_cast<size_t>(cols) * element;
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i) {
      const size_t offset = static_cast<size_t>(m * rows + i) * row_bytes;
      // i + k cannot overflow: |k| is clamped to the matrix size first.
      const int64_t first = std::clamp<int64_t>(upper ? i + k : 0, 0, cols);
      const int64_t last = std::clamp<int64_t>(upper ? cols : i + k + 1, 0, cols);
      std::memset(y + offset, 0, row_bytes);
      if (last > first)
        std::memcpy(y + offset + static_cast<size_t>(first) * element,
                    x + offset + static_cast<size_t>(first) * element,
                    static_cast<size_t>(last - first) * element);
    }
}

OpDef make_trilu() {
  OpDef def;
  def.type = "Trilu";
  def.since_opset = 14;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (ic.num_inputs() > 2) ic.fail("expects 1 or 2 inputs");
    if (ic.has_input(1)) {
      const ValueType& k = ic.input(1);
      if (k.dtype != DType::kInt64)
        ic.fail(cat("input 'k' must be int64, not ", dtype_name(k.dtype)));
      if (k.has_shape && shape_numel(k.shape) != 1)
        ic.fail(cat("input 'k' must hold one value, not shape ", shape_str(k.shape)));
    }
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    if (x.shape.size() < 2) ic.fail(cat("input must have rank 2 or more, not ", x.shape.size()));
    ic.set_output(0, x.dtype, x.shape);
  };
  def.impls.push_back(
      {"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const bool upper = ki.node.attr_int("upper", 1) != 0;
         const std::string who = ki.node.describe();
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           if (x.numel() == 0) return;  // rows * cols may not fit when a leading dim is 0
           const Shape& s = x.shape();
           const int64_t rows = s[s.size() - 2], cols = s.back();
           int64_t k = 0;
           if (ctx.has_in(1)) {
             const std::vector<int64_t> kv = ctx.in(1).to_int64_vector();
             if (kv.size() != 1) throw InputError(cat(who, ": input 'k' must hold one value"));
             k = std::clamp<int64_t>(kv[0], -rows - 1, cols + 1);
           }
           const int64_t matrices = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
           trilu(static_cast<const std::byte*>(x.raw()), static_cast<std::byte*>(ctx.out(0).raw()),
                 matrices, rows, cols, dtype_size(x.dtype()), upper, k);
         });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_trilu);
}  // namespace sinter
