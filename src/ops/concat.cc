// Concat: joins inputs along 'axis' (negative allowed); every other dim must match. Copies
// bytes, so every dtype works.
#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

int64_t concat_axis(const Node& node, int64_t opset) {
  // Opsets before 4 defaulted the axis to 1; later ones require it.
  if (opset < 4) return node.attr_int("axis", 1);
  return node.required_int("axis");
}

// Each input's gradient is its stretch of the output's gradient along the axis, cut by Slice
// (bounds as attributes before opset 10, as inputs from 10).
void concat_gradient(GradientContext& g) {
  const int64_t rank = static_cast<int64_t>(g.output_type(0).shape.size());
  int64_t axis = concat_axis(g.node(), g.opset());
  if (axis < 0) axis += rank;
  int64_t begin = 0;
  for (size_t i = 0; i < g.node().inputs.size(); ++i) {
    const int64_t end = begin + g.input_type(i).shape[axis];
    if (g.wants(i)) {
      if (g.opset() < 10) {
        g.set_input_grad(i, g.emit("Slice", {g.output_grad(0)},
                                   {{"starts", std::vector<int64_t>{begin}},
                                    {"ends", std::vector<int64_t>{end}},
                                    {"axes", std::vector<int64_t>{axis}}}));
      } else {
        auto one = [&](int64_t v) { return g.constant(Tensor::from_vector<int64_t>({1}, {v})); };
        g.set_input_grad(i, g.emit("Slice", {g.output_grad(0), one(begin), one(end), one(axis)}));
      }
    }
    begin = end;
  }
}

OpDef make_concat() {
  OpDef def;
  def.type = "Concat";
  def.infer = [](InferContext& ic) {
    if (ic.num_inputs() == 0) ic.fail("needs at least one input");
    const ValueType& first = ic.input(0);
    int64_t rank = -1;
    for (size_t i = 0; i < ic.num_inputs(); ++i) {
      const ValueType& t = ic.input(i);
      if (t.dtype != first.dtype)
        ic.fail(cat("input ", i, " is ", dtype_name(t.dtype), " but input 0 is ",
                    dtype_name(first.dtype)));
      if (!t.has_shape) continue;
      if (rank >= 0 && static_cast<int64_t>(t.shape.size()) != rank)
        ic.fail(cat("input ", i, " has rank ", t.shape.size(), ", expected ", rank));
      rank = static_cast<int64_t>(t.shape.size());
    }
    if (rank < 0) {
      movement::set_output_rank_unknown(ic, 0, first.dtype);
      return;
    }
    if (rank == 0) ic.fail("cannot concatenate scalars");
    int64_t axis = movement::axis_in(ic, "attribute 'axis'", concat_axis(ic.node, ic.opset), rank);
    Shape out(rank, -1);
    int64_t axis_sum = 0;
    for (size_t i = 0; i < ic.num_inputs(); ++i) {
      const ValueType& t = ic.input(i);
      if (!t.has_shape) {
        axis_sum = -1;
        continue;
      }
      for (int64_t d = 0; d < rank; ++d) {
        if (d == axis) continue;
        if (out[d] >= 0 && t.shape[d] >= 0 && out[d] != t.shape[d])
          ic.fail(cat("input ", i, " has shape ", shape_str(t.shape), " which does not match ",
                      shape_str(ic.input(0).shape), " outside axis ", axis));
        if (t.shape[d] >= 0) out[d] = t.shape[d];
      }
      axis_sum =
          (axis_sum < 0 || t.shape[axis] < 0)
              ? -1
              : movement::sized_by(ic, cat("the inputs' dims along attribute 'axis' = ", axis),
                                   [&] { return checked_add(axis_sum, t.shape[axis]); });
    }
    out[axis] = axis_sum;
    movement::require_addressable(ic, "attribute 'axis'", out, first.dtype);
    ic.set_output(0, first.dtype, out);
  };
  def.impls.push_back(
      {"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         int64_t axis_attr = concat_axis(ki.node, ki.opset);
         return std::make_unique<FunctionKernel>([axis_attr](KernelContext& ctx) {
           Tensor& y = ctx.out(0);
           int64_t axis = axis_attr < 0 ? axis_attr + y.rank() : axis_attr;
           size_t es = dtype_size(y.dtype());
           int64_t outer = shape_numel(Shape(y.shape().begin(), y.shape().begin() + axis));
           size_t out_row = static_cast<size_t>(y.numel() / std::max<int64_t>(outer, 1)) * es;
           auto* dst = static_cast<std::byte*>(y.raw());
           size_t col = 0;
           for (const Tensor* x : ctx.inputs) {
             size_t row = static_cast<size_t>(x->numel() / std::max<int64_t>(outer, 1)) * es;
             const auto* src = static_cast<const std::byte*>(x->raw());
             if (row)
               for (int64_t o = 0; o < outer; ++o)
                 std::memcpy(dst + o * out_row + col, src + o * row, row);
             col += row;
           }
         });
       }});
  def.gradient = concat_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_concat);
}  // namespace sinter
