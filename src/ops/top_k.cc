// TopK: the k largest (or smallest) elements along 'axis' and their int64 indices. k is an
// attribute before opset 10 and an input from 10. Ties keep the lower index first, as ONNX
// specifies, so the result is deterministic whether or not 'sorted' is set. NaN counts as larger
// than every number (as in PyTorch), which keeps the order strict.
#include <algorithm>
#include <cmath>

#include "ops/data_movement_util.h"

namespace sinter {
namespace {

template <class T>
bool greater(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

template <class T>
void top_k(const T* x, T* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner,
           int64_t k, bool largest) {
  std::vector<int64_t> order(n);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      for (int64_t j = 0; j < n; ++j) order[j] = j;
      auto before = [&](int64_t a, int64_t b) {
        T va = p[a * inner], vb = p[b * inner];
        if (greater(va, vb)) return largest;
        if (greater(vb, va)) return !largest;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        int64_t at = (o * k + j) * inner + i;
        values[at] = p[order[j] * inner];
        indices[at] = order[j];
      }
    }
}

OpDef make_top_k() {
  OpDef def;
  def.type = "TopK";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      movement::set_output_rank_unknown(ic, 1, DType::kInt64);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", -1), rank);
    const std::string what = ic.opset < 10 ? "attribute 'k'" : "input 'K'";
    const Tensor* v = ic.opset < 10 ? nullptr : ic.value(1);
    int64_t k = -1;  // unknown until run time
    if (ic.opset < 10) {
      k = ic.node.required_int("k");
    } else if (v) {
      std::vector<int64_t> kv = movement::int_values(ic, what, *v);
      if (kv.size() != 1) ic.fail(cat(what, " must hold one value, not ", kv.size()));
      k = kv[0];
    }
    if ((ic.opset < 10 || v) && k < 0) ic.fail(cat(what, " = ", k, " is negative"));
    if (x.shape[axis] >= 0 && k > x.shape[axis])
      ic.fail(cat(what, " = ", k, " is out of range for an axis of size ", x.shape[axis]));
    Shape out = x.shape;
    out[axis] = k;
    ic.set_output(0, x.dtype, out);
    ic.set_output(1, DType::kInt64, out);
  };
  def.impls.push_back(
      {"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         int64_t axis_attr = ki.node.attr_int("axis", -1);
         bool largest = ki.node.attr_int("largest", 1) != 0;
         std::string who = ki.node.describe();
         std::string k_name = ki.opset < 10 ? "attribute 'k'" : "input 'K'";
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           Tensor& values = ctx.out(0);
           int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
           int64_t k = values.dim(axis);
           if (k > x.dim(axis))
             throw InputError(cat(who, ": ", k_name, " = ", k,
                                  " is out of range for an axis of size ", x.dim(axis)));
           int64_t outer = shape_numel(Shape(x.shape().begin(), x.shape().begin() + axis));
           int64_t inner = shape_numel(Shape(x.shape().begin() + axis + 1, x.shape().end()));
           int64_t* idx = ctx.out(1).data<int64_t>();
           movement::dispatch_numeric(x.dtype(), who, [&](auto t) {
             using T = decltype(t);
             top_k(static_cast<const T*>(x.raw()), static_cast<T*>(values.raw()), idx, outer,
                   x.dim(axis), inner, k, largest);
           });
         });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_top_k);
}  // namespace sinter
