// ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSumExp. Axes come from the `axes` attribute,
// or from the optional second input for ReduceSum from opset 13 and all of them from opset 18.
// Reduced and kept dims are coalesced so that the common layouts (trailing axes, e.g. spatial
// means; leading axes; a middle block) run as contiguous loops in a fixed order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSumExp, kLogSum };

struct ReduceSpec {
  const char* type;
  ReduceKind kind;
  int64_t axes_input_since;  // opset from which axes is an input instead of an attribute
  bool integers;             // int32/int64 inputs allowed
};

bool axes_from_input(const Node& node, int64_t opset, const ReduceSpec& spec) {
  return opset >= spec.axes_input_since;
}

// Reduced-axis mask for a given input rank; throws naming the node for bad axes.
std::vector<bool> reduced_mask(const Node& node, int64_t rank, const std::vector<int64_t>& axes,
                               bool noop_with_empty) {
  std::vector<bool> mask(rank, axes.empty() && !noop_with_empty);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      throw ModelError(cat(node.describe(), ": axis ", a, " out of range for rank ", rank));
    mask[a < 0 ? a + rank : a] = true;
  }
  return mask;
}

template <class T>
struct Reducer {
  ReduceKind kind;
  T init() const {
    switch (kind) {
      case ReduceKind::kMax:
        return std::numeric_limits<T>::lowest();
      case ReduceKind::kMin:
        return std::numeric_limits<T>::max();
      case ReduceKind::kProd:
        return T(1);
      default:
        return T(0);
    }
  }
  T step(T acc, T x) const {
    switch (kind) {
      case ReduceKind::kMax:
        return std::max(acc, x);
      case ReduceKind::kMin:
        return std::min(acc, x);
      case ReduceKind::kProd:
        return acc * x;
      case ReduceKind::kL1:
        return acc + (x < T(0) ? -x : x);
      case ReduceKind::kL2:
      case ReduceKind::kSumSquare:
        return acc + x * x;
      case ReduceKind::kLogSumExp:
        return acc + T(std::exp(double(x)));
      default:
        return acc + x;
    }
  }
  T finish(T acc, int64_t count) const {
    switch (kind) {
      case ReduceKind::kMean:
        return count ? T(acc / T(count)) : acc;
      case ReduceKind::kL2:
        return T(std::sqrt(double(acc)));
      case ReduceKind::kLogSumExp:
      case ReduceKind::kLogSum:
        return T(std::log(double(acc)));
      default:
        return acc;
    }
  }
};

// Dims coalesced into alternating kept/reduced groups.
struct Groups {
  std::vector<int64_t> size;
  std::vector<bool> reduced;
};

Groups coalesce(const Shape& shape, const std::vector<bool>& mask) {
  Groups g;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;  // size-1 dims change nothing, whichever group they are in
    if (!g.size.empty() && g.reduced.back() == mask[i]) {
      g.size.back() *= shape[i];
    } else {
      g.size.push_back(shape[i]);
      g.reduced.push_back(mask[i]);
    }
  }
  return g;
}

template <class T>
void reduce(const Tensor& xt, const std::vector<bool>& mask, const Reducer<T>& r, Tensor& yt,
            ThreadPool* pool) {
  const T* x = xt.data<T>();
  T* y = yt.data<T>();
  const int64_t out_n = yt.numel();
  const int64_t count = out_n ? xt.numel() / out_n : 0;
  Groups g = coalesce(xt.shape(), mask);
  // View as [outer, R, inner] where possible: at most one reduced group among the groups.
  int reduced_groups = 0;
  for (bool b : g.reduced) reduced_groups += b;
  if (reduced_groups <= 1) {
    int64_t outer = 1, red = 1, inner = 1;
    bool seen = false;
    for (size_t i = 0; i < g.size.size(); ++i) {
      if (g.reduced[i]) {
        red = g.size[i];
        seen = true;
      } else {
        (seen ? inner : outer) *= g.size[i];
      }
    }
    if (inner == 1) {
      pool->parallel_range(outer, std::max<int64_t>(1, 4096 / std::max<int64_t>(red, 1)),
                           [&](int64_t b, int64_t e, int) {
                             for (int64_t o = b; o < e; ++o) {
                               const T* row = x + o * red;
                               T acc = r.init();
                               for (int64_t i = 0; i < red; ++i) acc = r.step(acc, row[i]);
                               y[o] = r.finish(acc, count);
                             }
                           });
    } else {
      pool->parallel_range(outer * inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(red, 1)),
                           [&](int64_t b, int64_t e, int) {
                             for (int64_t o = b / inner; o * inner < e; ++o) {
                               int64_t i0 = std::max(b, o * inner) - o * inner;
                               int64_t i1 = std::min(e, (o + 1) * inner) - o * inner;
                               T* out = y + o * inner;
                               for (int64_t i = i0; i < i1; ++i) out[i] = r.init();
                               // Rows in order keep the sum order fixed and the inner loop
                               // contiguous.
                               for (int64_t k = 0; k < red; ++k) {
                                 const T* row = x + (o * red + k) * inner;
                                 for (int64_t i = i0; i < i1; ++i) out[i] = r.step(out[i], row[i]);
                               }
                               for (int64_t i = i0; i < i1; ++i) out[i] = r.finish(out[i], count);
                             }
                           });
    }
    return;
  }
  // General case: walk the input once in order, accumulating into the output element that
  // each coalesced index maps to.
  const size_t rank = g.size.size();
  std::vector<int64_t> out_stride(rank, 0);
  int64_t s = 1;
  for (size_t i = rank; i-- > 0;)
    if (!g.reduced[i]) {
      out_stride[i] = s;
      s *= g.size[i];
    }
  for (int64_t i = 0; i < out_n; ++i) y[i] = r.init();
  std::vector<int64_t> idx(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < xt.numel(); ++i) {
    y[o] = r.step(y[o], x[i]);
    for (size_t d = rank; d-- > 0;) {
      o += out_stride[d];
      if (++idx[d] < g.size[d]) break;
      o -= out_stride[d] * g.size[d];
      idx[d] = 0;
    }
  }
  for (int64_t i = 0; i < out_n; ++i) y[i] = r.finish(y[i], count);
}

OpDef make_reduce(ReduceSpec spec) {
  OpDef def;
  def.type = spec.type;
  def.infer = [spec](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const bool is_float = x.dtype == DType::kFloat32;
    const bool is_int = x.dtype == DType::kInt64 || x.dtype == DType::kInt32;
    if (!is_float && !(spec.integers && is_int))
      throw UnsupportedError(
          cat(ic.node.describe(), ": ", "input type ", dtype_name(x.dtype), " is not supported"));
    if (!x.has_shape) {
      ic.output(0).dtype = x.dtype;
      return;
    }
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<int64_t> axes;
    const bool noop = ic.node.attr_int("noop_with_empty_axes", 0) != 0;
    if (axes_from_input(ic.node, ic.opset, spec)) {
      if (ic.has_input(1)) {
        if (ic.input(1).dtype != DType::kInt64) ic.fail("axes must be int64");
        axes = ic.required_value(1).to_int64_vector();
      }
    } else {
      axes = ic.node.attr_ints("axes");
    }
    std::vector<bool> mask = reduced_mask(ic.node, rank, axes, noop);
    const bool keep = ic.node.attr_int("keepdims", 1) != 0;
    Shape out;
    for (int64_t i = 0; i < rank; ++i) {
      if (!mask[i]) {
        out.push_back(x.shape[i]);
      } else {
        if (x.shape[i] == 0 && (spec.kind == ReduceKind::kMax || spec.kind == ReduceKind::kMin))
          ic.fail("cannot reduce an empty axis with Max/Min");
        if (keep) out.push_back(1);
      }
    }
    ic.set_output(0, x.dtype, out);
  };
  def.flops = [](const KernelInfo& ki) { return double(shape_numel(ki.inputs[0].shape)); };
  def.impls.push_back(
      {"reference", nullptr, [spec](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const bool noop = ki.node.attr_int("noop_with_empty_axes", 0) != 0;
         const bool axes_input = axes_from_input(ki.node, ki.opset, spec) && ki.node.has_input(1);
         std::vector<int64_t> attr_axes = axes_from_input(ki.node, ki.opset, spec)
                                              ? std::vector<int64_t>{}
                                              : ki.node.attr_ints("axes");
         Node node = ki.node;
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           std::vector<int64_t> axes = axes_input ? ctx.in(1).to_int64_vector() : attr_axes;
           std::vector<bool> mask = reduced_mask(node, x.rank(), axes, noop);
           switch (x.dtype()) {
             case DType::kFloat32:
               reduce<float>(x, mask, Reducer<float>{spec.kind}, ctx.out(0), ctx.pool);
               break;
             case DType::kInt64:
               reduce<int64_t>(x, mask, Reducer<int64_t>{spec.kind}, ctx.out(0), ctx.pool);
               break;
             case DType::kInt32:
               reduce<int32_t>(x, mask, Reducer<int32_t>{spec.kind}, ctx.out(0), ctx.pool);
               break;
             default:
               throw UnsupportedError(
                   cat(node.describe(), ": unsupported type ", dtype_name(x.dtype())));
           }
         });
       }});
  return def;
}

// ReduceSum/ReduceMean gradients: dy, with the reduced axes restored as 1s, broadcast back over x
// (and divided by the count averaged over, for the mean).
std::function<void(GradientContext&)> reduce_gradient(ReduceSpec spec) {
  return [spec](GradientContext& g) {
    const Shape& x = g.input_type(0).shape;
    std::vector<int64_t> axes;
    if (axes_from_input(g.node(), g.opset(), spec) && g.node().has_input(1)) {
      const Tensor* t = g.constant_input(1);
      if (!t) g.unsupported("reduction axes computed at run time");
      axes = t->to_int64_vector();
    } else {
      axes = g.node().attr_ints("axes");
    }
    const bool noop = g.node().attr_int("noop_with_empty_axes", 0) != 0;
    const std::vector<bool> mask =
        reduced_mask(g.node(), static_cast<int64_t>(x.size()), axes, noop);
    Shape kept = x;
    int64_t count = 1;
    for (size_t i = 0; i < x.size(); ++i)
      if (mask[i]) count *= std::exchange(kept[i], 1);
    std::string dx = g.emit(
        "Expand",
        {g.emit("Reshape", {g.output_grad(0), g.shape_constant(kept)}), g.shape_constant(x)});
    if (spec.kind == ReduceKind::kMean)
      dx = g.emit("Mul", {dx, g.scalar(1.0f / static_cast<float>(count))});
    g.set_input_grad(0, dx);
  };
}

OpDef make_reduce_sum() {
  const ReduceSpec spec{"ReduceSum", ReduceKind::kSum, 13, true};
  return with_gradient(make_reduce(spec), reduce_gradient(spec));
}
OpDef make_reduce_mean() {
  const ReduceSpec spec{"ReduceMean", ReduceKind::kMean, 18, true};
  return with_gradient(make_reduce(spec), reduce_gradient(spec));
}
OpDef make_reduce_max() { return make_reduce({"ReduceMax", ReduceKind::kMax, 18, true}); }
OpDef make_reduce_min() { return make_reduce({"ReduceMin", ReduceKind::kMin, 18, true}); }
OpDef make_reduce_prod() { return make_reduce({"ReduceProd", ReduceKind::kProd, 18, true}); }
OpDef make_reduce_l1() { return make_reduce({"ReduceL1", ReduceKind::kL1, 18, true}); }
OpDef make_reduce_l2() { return make_reduce({"ReduceL2", ReduceKind::kL2, 18, false}); }
OpDef make_reduce_sum_square() {
  return make_reduce({"ReduceSumSquare", ReduceKind::kSumSquare, 18, true});
}
OpDef make_reduce_log_sum_exp() {
  return make_reduce({"ReduceLogSumExp", ReduceKind::kLogSumExp, 18, false});
}

OpDef make_reduce_log_sum() {
  return make_reduce({"ReduceLogSum", ReduceKind::kLogSum, 18, false});
}

}  // namespace
SINTER_REGISTER_OP(make_reduce_sum);
SINTER_REGISTER_OP(make_reduce_mean);
SINTER_REGISTER_OP(make_reduce_max);
SINTER_REGISTER_OP(make_reduce_min);
SINTER_REGISTER_OP(make_reduce_prod);
SINTER_REGISTER_OP(make_reduce_l1);
SINTER_REGISTER_OP(make_reduce_l2);
SINTER_REGISTER_OP(make_reduce_sum_square);
SINTER_REGISTER_OP(make_reduce_log_sum_exp);
SINTER_REGISTER_OP(make_reduce_log_sum);
}  // namespace sinter
