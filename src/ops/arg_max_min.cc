// ArgMax / ArgMin: int64 index of the largest / smallest element along 'axis', the first one on
// ties unless select_last_index=1 (opset 12); keepdims keeps the reduced dim as 1.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

template <class T>
void arg_reduce(const T* x, int64_t* out, int64_t outer, int64_t n, int64_t inner, bool is_max,
                bool last) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k) {
        T v = p[k * inner], b = p[best * inner];
        bool better = is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
        if (better) best = k;
      }
      out[o * inner + i] = best;
    }
}

OpDef make_arg(const char* type, bool is_max) {
  OpDef def;
  def.type = type;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    bool keep = ic.node.attr_int("keepdims", 1) != 0;
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, DType::kInt64);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 0), rank);
    if (x.shape[axis] == 0) ic.fail("cannot reduce an axis of size 0");
    Shape out = x.shape;
    if (keep)
      out[axis] = 1;
    else
      out.erase(out.begin() + axis);
    ic.set_output(0, DType::kInt64, out);
  };
  def.impls.push_back(
      {"generic", nullptr, [is_max](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         int64_t axis_attr = ki.node.attr_int("axis", 0);
         bool last = ki.opset >= 12 && ki.node.attr_int("select_last_index", 0) != 0;
         std::string who = ki.node.describe();
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
           int64_t outer = shape_numel(Shape(x.shape().begin(), x.shape().begin() + axis));
           int64_t inner = shape_numel(Shape(x.shape().begin() + axis + 1, x.shape().end()));
           int64_t* out = ctx.out(0).data<int64_t>();
           movement::dispatch_numeric(x.dtype(), who, [&](auto t) {
             using T = decltype(t);
             arg_reduce(static_cast<const T*>(x.raw()), out, outer, x.dim(axis), inner, is_max,
                        last);
           });
         });
       }});
  return def;
}

OpDef make_argmax() { return make_arg("ArgMax", true); }
OpDef make_argmin() { return make_arg("ArgMin", false); }

}  // namespace
SINTER_REGISTER_OP(make_argmax);
SINTER_REGISTER_OP(make_argmin);
}  // namespace sinter
