// GatherElements: out[i][j][k] = data[i][indices[i][j][k]][k] for axis 1, and so on for any axis;
// the output has the indices' shape. Copies bytes, so every dtype works.
#include "ops/along_axis.h"

namespace sinter {
namespace {

OpDef make_gather_elements() {
  OpDef def;
  def.type = "GatherElements";
  def.since_opset = 11;
  def.infer = [](InferContext& ic) {
    const ValueType& data = ic.input(0);
    const ValueType& idx = ic.input(1);
    movement::require_index_dtype(ic, 1);
    if (!data.has_shape || !idx.has_shape) {
      movement::set_output_rank_unknown(ic, 0, data.dtype);
      return;
    }
    const int64_t rank = static_cast<int64_t>(data.shape.size());
    if (rank == 0) ic.fail("cannot gather from a scalar");
    const int64_t axis =
        movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 0), rank);
    movement::check_along_axis_shapes(ic, data.shape, idx.shape, axis);
    ic.set_output(0, data.dtype, idx.shape);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const int64_t axis_attr = ki.node.attr_int("axis", 0);
                         const std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           const Tensor& data = ctx.in(0);
                           const int64_t axis = axis_attr < 0 ? axis_attr + data.rank() : axis_attr;
                           const size_t esize = dtype_size(data.dtype());
                           const auto* src = static_cast<const std::byte*>(data.raw());
                           auto* dst = static_cast<std::byte*>(ctx.out(0).raw());
                           movement::for_each_along_axis(
                               ctx.in(1), data.shape(), axis, who, [&](int64_t i, int64_t at) {
                                 std::memcpy(dst + i * esize, src + at * esize, esize);
                               });
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_gather_elements);
}  // namespace sinter
