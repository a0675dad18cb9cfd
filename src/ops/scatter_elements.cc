// ScatterElements (and Scatter, its opset-9 name): the output is data with the elements that
// indices name replaced by, or combined with, the matching updates (ops/scatter_reduction.h).
// Updates apply in row-major order, so repeated indices end deterministically.
#include "ops/along_axis.h"
#include "ops/scatter_reduction.h"

namespace sinter {
namespace {

void infer_scatter_elements(InferContext& ic) {
  const ValueType& data = ic.input(0);
  const ValueType& idx = ic.input(1);
  const ValueType& upd = ic.input(2);
  movement::require_index_dtype(ic, 1);
  if (upd.dtype != data.dtype)
    ic.fail(cat("input 'updates' has type ", dtype_name(upd.dtype), ", input 'data' has ",
                dtype_name(data.dtype)));
  scatter_reduction(ic.node, ic.opset);
  if (!data.has_shape) {
    movement::set_output_rank_unknown(ic, 0, data.dtype);
    return;
  }
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank == 0) ic.fail("cannot scatter into a scalar");
  const int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 0), rank);
  if (idx.has_shape && upd.has_shape)
    movement::check_along_axis_shapes(ic, data.shape, idx.shape, axis, &upd.shape);
  ic.set_output(0, data.dtype, data.shape);
}

std::unique_ptr<Kernel> make_scatter_elements_kernel(const KernelInfo& ki) {
  const int64_t axis_attr = ki.node.attr_int("axis", 0);
  const ScatterReduction reduction = scatter_reduction(ki.node, ki.opset);
  const std::string who = ki.node.describe();
  return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
    const Tensor& data = ctx.in(0);
    const Tensor& updates = ctx.in(2);
    Tensor& out = ctx.out(0);
    const int64_t axis = axis_attr < 0 ? axis_attr + data.rank() : axis_attr;
    if (out.raw() != data.raw() && data.nbytes()) std::memcpy(out.raw(), data.raw(), data.nbytes());
    if (reduction == ScatterReduction::kNone) {
      const size_t esize = dtype_size(data.dtype());
      const auto* src = static_cast<const std::byte*>(updates.raw());
      auto* dst = static_cast<std::byte*>(out.raw());
      movement::for_each_along_axis(ctx.in(1), data.shape(), axis, who, [&](int64_t i, int64_t at) {
        std::memcpy(dst + at * esize, src + i * esize, esize);
      });
      return;
    }
    movement::dispatch_numeric(data.dtype(), who, [&](auto zero) {
      using T = decltype(zero);
      const T* src = static_cast<const T*>(updates.raw());
      T* dst = static_cast<T*>(out.raw());
      movement::for_each_along_axis(ctx.in(1), data.shape(), axis, who, [&](int64_t i, int64_t at) {
        scatter_combine(reduction, dst[at], src[i]);
      });
    });
  });
}

OpDef make_scatter_elements_named(const char* type, int since) {
  OpDef def;
  def.type = type;
  def.since_opset = since;
  def.infer = infer_scatter_elements;
  def.impls.push_back({"generic", nullptr, make_scatter_elements_kernel});
  return def;
}

OpDef make_scatter_elements() { return make_scatter_elements_named("ScatterElements", 11); }
OpDef make_scatter() { return make_scatter_elements_named("Scatter", 9); }

}  // namespace
SINTER_REGISTER_OP(make_scatter_elements);
SINTER_REGISTER_OP(make_scatter);
}  // namespace sinter
