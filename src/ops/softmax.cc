// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at `axis` (default 1) and
// normalized over everything from axis on; from 13 only the single `axis` (default -1) is
// normalized. The kernels work on contiguous rows, so a non-last axis from opset 13 is handled
// by transposing each [axis, inner] block into rows and back.
#include "kernels/softmax/softmax.h"

#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

int64_t softmax_axis(const Node& node, int64_t opset, int64_t rank) {
  const int64_t axis = node.attr_int("axis", opset >= 13 ? -1 : 1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    throw ModelError(
        cat(node.describe(), ": attribute 'axis' = ", axis, " is out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

using RowFn = void (*)(const float*, float*, int64_t, int64_t, ThreadPool*);

void run_softmax(const Node& node, int64_t opset, KernelContext& ctx, RowFn rows_fn) {
  const Tensor& xt = ctx.in(0);
  const Shape& s = xt.shape();
  const int64_t rank = xt.rank();
  const float* x = xt.data<float>();
  float* y = ctx.out(0).data<float>();
  if (rank == 0) {
    rows_fn(x, y, 1, 1, ctx.pool);
    return;
  }
  const int64_t axis = softmax_axis(node, opset, rank);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= s[i];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= s[i];
  const int64_t n = s[axis];
  if (opset < 13 || inner == 1) {
    const int64_t cols = opset < 13 ? n * inner : n;
    rows_fn(x, y, cols ? xt.numel() / cols : 0, cols, ctx.pool);
    return;
  }
  // [outer, n, inner] -> [outer, inner, n] rows, normalized in place, then back.
  Tensor scratch(DType::kFloat32, {outer, inner, n});
  float* t = scratch.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < inner; ++i) t[(o * inner + i) * n + k] = x[(o * n + k) * inner + i];
  rows_fn(t, t, outer * inner, n, ctx.pool);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < inner; ++i) y[(o * n + k) * inner + i] = t[(o * inner + i) * n + k];
}

OpDef make_softmax_def(const char* type, RowFn fast, RowFn reference) {
  OpDef def;
  def.type = type;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (x.dtype != DType::kFloat32)
      throw UnsupportedError(
          cat(ic.node.describe(), ": ", "input must be float32, got ", dtype_name(x.dtype)));
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    softmax_axis(ic.node, ic.opset, static_cast<int64_t>(x.shape.size()));
    ic.set_output(0, DType::kFloat32, x.shape);
  };
  def.flops = [](const KernelInfo& ki) { return 4.0 * shape_numel(ki.inputs[0].shape); };
  auto make = [](RowFn fn) {
    return [fn](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      Node node = ki.node;
      int64_t opset = ki.opset;
      return std::make_unique<FunctionKernel>(
          [node, opset, fn](KernelContext& ctx) { run_softmax(node, opset, ctx, fn); });
    };
  };
  def.impls.push_back({"softmax", nullptr, make(fast)});
  def.reference = KernelImpl{"reference", nullptr, make(reference)};
  return def;
}

void softmax_fast(const float* x, float* y, int64_t r, int64_t c, ThreadPool* p) {
  kernels::softmax(x, y, r, c, p);
}
void softmax_ref(const float* x, float* y, int64_t r, int64_t c, ThreadPool*) {
  kernels::softmax_reference(x, y, r, c);
}
void log_softmax_fast(const float* x, float* y, int64_t r, int64_t c, ThreadPool* p) {
  kernels::log_softmax(x, y, r, c, p);
}
void log_softmax_ref(const float* x, float* y, int64_t r, int64_t c, ThreadPool*) {
  kernels::log_softmax_reference(x, y, r, c);
}

// Both gradients reduce over the softmax axis; before opset 13 the axis flattened everything
// after it, which matches only when it is the last axis.
std::string reduced_over_axis(GradientContext& g, const std::string& v) {
  const int64_t rank = static_cast<int64_t>(g.input_type(0).shape.size());
  const int64_t axis = softmax_axis(g.node(), g.opset(), rank);
  if (g.opset() < 13 && axis != rank - 1) g.unsupported("a pre-opset-13 softmax over several axes");
  return g.emit("ReduceSum", {v, g.constant(Tensor::from_vector<int64_t>({1}, {axis}))},
                {{"keepdims", int64_t{1}}});
}
void softmax_gradient(GradientContext& g) {  // dx = y * (dy - sum(dy * y))
  const std::string y = g.output(0), dy = g.output_grad(0);
  g.set_input_grad(
      0, g.emit("Mul", {y, g.emit("Sub", {dy, reduced_over_axis(g, g.emit("Mul", {dy, y}))})}));
}
void log_softmax_gradient(GradientContext& g) {  // dx = dy - exp(y) * sum(dy)
  const std::string y = g.output(0), dy = g.output_grad(0);
  g.set_input_grad(
      0, g.emit("Sub", {dy, g.emit("Mul", {g.emit("Exp", {y}), reduced_over_axis(g, dy)})}));
}

OpDef make_softmax() {
  return with_gradient(make_softmax_def("Softmax", softmax_fast, softmax_ref), softmax_gradient);
}
OpDef make_log_softmax() {
  return with_gradient(make_softmax_def("LogSoftmax", log_softmax_fast, log_softmax_ref),
                       log_softmax_gradient);
}

}  // namespace
SINTER_REGISTER_OP(make_softmax);
SINTER_REGISTER_OP(make_log_softmax);
}  // namespace sinter
