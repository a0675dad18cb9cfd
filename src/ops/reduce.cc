// ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSumExp. Axes come from the `axes` attribute,
// or from the optional second input for ReduceSum from opset 13 and all of them from opset 18.
// Float tensors run through kernels::reduce, with its plain-loop twin as the reference.
#include "kernels/reduce/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

using kernels::ReduceOp;

struct ReduceSpec {
  const char* type;
  ReduceOp kind;
  int64_t axes_input_since;  // opset from which axes is an input instead of an attribute
  bool integers;             // int32/int64 inputs allowed
};

bool axes_from_input(const Node& node, int64_t opset, const ReduceSpec& spec) {
  return opset >= spec.axes_input_since;
}

// How errors name the axes: an attribute or, from `axes_input_since`, an input.
std::string axes_name(int64_t opset, const ReduceSpec& spec) {
  return movement::arg_name(opset >= spec.axes_input_since, "axes");
}

// Reduced-axis mask for a given input rank; throws naming the node and `what` (the axes) for axes
// out of range or listed twice.
std::vector<bool> reduced_mask(const Node& node, const std::string& what, int64_t rank,
                               const std::vector<int64_t>& axes, bool noop_with_empty) {
  std::vector<bool> mask(rank, axes.empty() && !noop_with_empty);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = axes[i];
    if (a < -rank || a >= rank)
      throw ModelError(
          cat(node.describe(), ": ", what, "[", i, "] = ", a, " is out of range for rank ", rank));
    const int64_t axis = a < 0 ? a + rank : a;
    if (seen[axis])
      throw ModelError(cat(node.describe(), ": ", what, " lists axis ", axis, " twice"));
    seen[axis] = mask[axis] = true;
  }
  return mask;
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
        if (ic.input(1).dtype != DType::kInt64) ic.fail("input 'axes' must be int64");
        axes = ic.required_value(1).to_int64_vector();
      }
    } else {
      axes = ic.node.attr_ints("axes");
    }
    std::vector<bool> mask = reduced_mask(ic.node, axes_name(ic.opset, spec), rank, axes, noop);
    const bool keep = ic.node.attr_int("keepdims", 1) != 0;
    Shape out;
    for (int64_t i = 0; i < rank; ++i) {
      if (!mask[i]) {
        out.push_back(x.shape[i]);
      } else {
        if (x.shape[i] == 0 && (spec.kind == ReduceOp::kMax || spec.kind == ReduceOp::kMin))
          ic.fail("cannot reduce an empty axis with Max/Min");
        if (keep) out.push_back(1);
      }
    }
    ic.set_output(0, x.dtype, out);
  };
  def.flops = [](const KernelInfo& ki) { return double(shape_numel(ki.inputs[0].shape)); };
  // The fast kernel takes float tensors; integer reductions (shape arithmetic) are small.
  auto make = [spec](bool reference) {
    return [spec, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      const bool noop = ki.node.attr_int("noop_with_empty_axes", 0) != 0;
      const bool axes_input = axes_from_input(ki.node, ki.opset, spec) && ki.node.has_input(1);
      const std::vector<int64_t> attr_axes = axes_from_input(ki.node, ki.opset, spec)
                                                 ? std::vector<int64_t>{}
                                                 : ki.node.attr_ints("axes");
      Node node = ki.node;
      const std::string what = axes_name(ki.opset, spec);
      return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
        const Tensor& x = ctx.in(0);
        const std::vector<int64_t> axes = axes_input ? ctx.in(1).to_int64_vector() : attr_axes;
        const std::vector<bool> mask = reduced_mask(node, what, x.rank(), axes, noop);
        Tensor& y = ctx.out(0);
        switch (x.dtype()) {
          case DType::kFloat32:
            reference ? kernels::reduce_reference(spec.kind, x.data<float>(), x.shape(), mask,
                                                  y.data<float>())
                      : kernels::reduce(spec.kind, x.data<float>(), x.shape(), mask,
                                        y.data<float>(), ctx.pool);
            break;
          case DType::kInt64:
            kernels::reduce_reference(spec.kind, x.data<int64_t>(), x.shape(), mask,
                                      y.data<int64_t>());
            break;
          case DType::kInt32:
            kernels::reduce_reference(spec.kind, x.data<int32_t>(), x.shape(), mask,
                                      y.data<int32_t>());
            break;
          default:
            throw UnsupportedError(
                cat(node.describe(), ": unsupported type ", dtype_name(x.dtype())));
        }
      });
    };
  };
  def.impls.push_back({"reduce", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
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
    const std::vector<bool> mask = reduced_mask(g.node(), axes_name(g.opset(), spec),
                                                static_cast<int64_t>(x.size()), axes, noop);
    Shape kept = x;
    int64_t count = 1;
    for (size_t i = 0; i < x.size(); ++i)
      if (mask[i]) count *= std::exchange(kept[i], 1);
    std::string dx = g.emit(
        "Expand",
        {g.emit("Reshape", {g.output_grad(0), g.shape_constant(kept)}), g.shape_constant(x)});
    if (spec.kind == ReduceOp::kMean)
      dx = g.emit("Mul", {dx, g.scalar(1.0f / static_cast<float>(count))});
    g.set_input_grad(0, dx);
  };
}

OpDef make_reduce_sum() {
  const ReduceSpec spec{"ReduceSum", ReduceOp::kSum, 13, true};
  return with_gradient(make_reduce(spec), reduce_gradient(spec));
}
OpDef make_reduce_mean() {
  const ReduceSpec spec{"ReduceMean", ReduceOp::kMean, 18, true};
  return with_gradient(make_reduce(spec), reduce_gradient(spec));
}
OpDef make_reduce_max() { return make_reduce({"ReduceMax", ReduceOp::kMax, 18, true}); }
OpDef make_reduce_min() { return make_reduce({"ReduceMin", ReduceOp::kMin, 18, true}); }
OpDef make_reduce_prod() { return make_reduce({"ReduceProd", ReduceOp::kProd, 18, true}); }
OpDef make_reduce_l1() { return make_reduce({"ReduceL1", ReduceOp::kL1, 18, true}); }
OpDef make_reduce_l2() { return make_reduce({"ReduceL2", ReduceOp::kL2, 18, false}); }
OpDef make_reduce_sum_square() {
  return make_reduce({"ReduceSumSquare", ReduceOp::kSumSquare, 18, true});
}
OpDef make_reduce_log_sum_exp() {
  return make_reduce({"ReduceLogSumExp", ReduceOp::kLogSumExp, 18, false});
}

OpDef make_reduce_log_sum() { return make_reduce({"ReduceLogSum", ReduceOp::kLogSum, 18, false}); }

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
