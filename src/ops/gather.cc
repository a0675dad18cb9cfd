// Gather: picks slices of input 0 along 'axis' at int32/int64 indices (negative ones count from
// the end). Output shape: data[:axis] + indices + data[axis+1:]. Copies bytes for any dtype.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

OpDef make_gather() {
  OpDef def;
  def.type = "Gather";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const ValueType& idx = ic.input(1);
    if (idx.dtype != DType::kInt32 && idx.dtype != DType::kInt64)
      ic.fail(cat("input 'indices' must be int32 or int64, not ", dtype_name(idx.dtype)));
    if (!x.has_shape || !idx.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    if (rank == 0) ic.fail("cannot gather from a scalar");
    int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 0), rank);
    if (const Tensor* v = ic.value(1); v && x.shape[axis] >= 0) {
      for (int64_t i : v->to_int64_vector())
        if (i < -x.shape[axis] || i >= x.shape[axis])
          ic.fail(cat("input 'indices' holds ", i, ", out of range for axis ", axis, " of size ",
                      x.shape[axis]));
    }
    Shape out(x.shape.begin(), x.shape.begin() + axis);
    out.insert(out.end(), idx.shape.begin(), idx.shape.end());
    out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         int64_t axis_attr = ki.node.attr_int("axis", 0);
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
                           std::vector<int64_t> idx = ctx.in(1).to_int64_vector();
                           int64_t dim = x.dim(axis);
                           int64_t outer =
                               shape_numel(Shape(x.shape().begin(), x.shape().begin() + axis));
                           size_t inner = static_cast<size_t>(shape_numel(Shape(
                                              x.shape().begin() + axis + 1, x.shape().end()))) *
                                          dtype_size(x.dtype());
                           for (int64_t& i : idx) {
                             if (i < -dim || i >= dim)
                               throw InputError(cat(who, ": input 'indices' holds ", i,
                                                    ", out of range for an axis of size ", dim));
                             if (i < 0) i += dim;
                           }
                           const auto* src = static_cast<const std::byte*>(x.raw());
                           auto* dst = static_cast<std::byte*>(ctx.out(0).raw());
                           for (int64_t o = 0; o < outer; ++o)
                             for (int64_t i : idx) {
                               std::memcpy(dst, src + (o * dim + i) * inner, inner);
                               dst += inner;
                             }
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_gather);
}  // namespace sinter
