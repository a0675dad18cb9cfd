// Element-wise ops with numpy broadcasting: Add, Sub, Mul, Div, Pow, the variadic Max, Min, Sum
// and Mean, and PRelu. Float math runs through kernels::binary (with binary_reference as the
// reference twin); variadic ops fold their inputs pairwise in order. The integer forms that
// shape subgraphs use (int64/int32 Add/Sub/Mul/Div/Max/Min) and PRelu, which the kernel library
// lacks, are a plain broadcasting loop here.
#include <algorithm>
#include <cmath>

#include "core/integer_semantics.h"
#include "kernels/eltwise/binary.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

using kernels::BinaryOp;

// Element strides of `s` as seen from an output of rank `rank`, 0 along broadcast dims.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  const auto own = shape_strides(s);
  const size_t off = out.size() - s.size();
  for (size_t d = 0; d < s.size(); ++d)
    if (s[d] != 1) st[d + off] = own[d];
  return st;
}

// y = f(a, b) over the broadcast of a and b, an odometer over all but the last output dim.
template <class T, class U, class F>
void broadcast_loop(const T* a, const Shape& as, const U* b, const Shape& bs, T* y,
                    const Shape& out, const F& f) {
  const int64_t total = shape_numel(out);
  if (total == 0) return;
  if (out.empty()) {
    y[0] = f(a[0], b[0]);
    return;
  }
  const auto sa = broadcast_strides(as, out), sb = broadcast_strides(bs, out);
  const size_t rank = out.size();
  const int64_t inner = out[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t pos = 0; pos < total; pos += inner) {
    for (int64_t i = 0; i < inner; ++i) y[pos + i] = f(a[oa + i * ia], b[ob + i * ib]);
    for (size_t d = rank - 1; d-- > 0;) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < out[d]) break;
      oa -= sa[d] * out[d];
      ob -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

// Overflow wraps around (see core/integer_semantics.h).
template <class T>
T integer_apply(BinaryOp op, T a, T b, const Node& node) {
  switch (op) {
    case BinaryOp::kAdd:
      return wrapping_add(a, b);
    case BinaryOp::kSub:
      return wrapping_sub(a, b);
    case BinaryOp::kMul:
      return wrapping_mul(a, b);
    case BinaryOp::kDiv:
      if (b == 0) throw InputError(cat(node.describe(), ": integer division by zero"));
      return wrapping_div(a, b);
    case BinaryOp::kMax:
      return std::max(a, b);
    case BinaryOp::kMin:
      return std::min(a, b);
    case BinaryOp::kPow:
      break;
  }
  throw UnsupportedError(cat(node.describe(), ": integer Pow is not supported"));
}

struct BinarySpec {
  const char* type;
  BinaryOp op;
  bool variadic;  // Max/Min/Sum/Mean: one or more inputs
  bool mean;      // Mean: Sum then divide by the input count
  bool integers;
};

Shape output_shape(const std::vector<Shape>& shapes, const Node& node) {
  Shape out = shapes.at(0);
  try {
    for (size_t i = 1; i < shapes.size(); ++i) out = broadcast_shapes(out, shapes[i]);
  } catch (const InputError& e) {
    throw InputError(cat(node.describe(), ": ", e.what()));
  }
  return out;
}

template <class T>
void run_integer(const BinarySpec& spec, const Node& node, KernelContext& ctx) {
  Tensor& y = ctx.out(0);
  Tensor acc = ctx.in(0);
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    const Tensor& b = ctx.in(i);
    Shape s = broadcast_shapes(acc.shape(), b.shape());
    // Intermediates smaller than the output get their own buffer; the kernel reads each input
    // element before writing the same output position, so acc may be y.
    Tensor dst = s == y.shape() ? y : Tensor(y.dtype(), s);
    broadcast_loop<T, T>(acc.data<T>(), acc.shape(), b.data<T>(), b.shape(), dst.data<T>(), s,
                         [&](T u, T v) { return integer_apply(spec.op, u, v, node); });
    acc = dst;
  }
  if (acc.raw() != y.raw()) std::copy_n(acc.data<T>(), y.numel(), y.data<T>());
}

void run_float(const BinarySpec& spec, KernelContext& ctx, bool use_kernel) {
  Tensor& y = ctx.out(0);
  Tensor acc = ctx.in(0);
  std::vector<Tensor> converted;  // Pow's integer exponent as float
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    const Tensor* b = &ctx.in(i);
    if (b->dtype() != DType::kFloat32) {
      Tensor f(DType::kFloat32, b->shape());
      for (int64_t k = 0; k < b->numel(); ++k)
        f.data<float>()[k] = static_cast<float>(b->value_as_double(k));
      converted.push_back(f);
      b = &converted.back();
    }
    Shape s = broadcast_shapes(acc.shape(), b->shape());
    Tensor dst = s == y.shape() ? y : Tensor(DType::kFloat32, s);
    if (use_kernel) {
      kernels::binary(spec.op, acc.data<float>(), acc.shape(), b->data<float>(), b->shape(),
                      dst.data<float>(), ctx.pool);
    } else {
      kernels::binary_reference(spec.op, acc.data<float>(), acc.shape(), b->data<float>(),
                                b->shape(), dst.data<float>());
    }
    acc = dst;
  }
  if (acc.raw() != y.raw()) std::copy_n(acc.data<float>(), y.numel(), y.data<float>());
  if (spec.mean && ctx.inputs.size() > 1) {
    const float scale = 1.0f / static_cast<float>(ctx.inputs.size());
    float* p = y.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) p[i] *= scale;
  }
}

OpDef make_binary(const BinarySpec& spec) {
  OpDef def;
  def.type = spec.type;
  def.since_opset = 7;
  def.infer = [spec](InferContext& ic) {
    const size_t n = ic.num_inputs();
    if (n == 0 || (!spec.variadic && n != 2))
      ic.fail(cat("expects ", spec.variadic ? "at least 1" : "2", " inputs, got ", n));
    const DType t = ic.input(0).dtype;
    const bool is_int = t == DType::kInt64 || t == DType::kInt32;
    if (t != DType::kFloat32 && !(spec.integers && is_int))
      throw UnsupportedError(
          cat(ic.node.describe(), ": ", "input type ", dtype_name(t), " is not supported"));
    bool shapes_known = true;
    std::vector<Shape> shapes;
    for (size_t i = 0; i < n; ++i) {
      const ValueType& v = ic.input(i);
      const bool pow_exponent = spec.op == BinaryOp::kPow && i == 1 &&
                                (v.dtype == DType::kInt64 || v.dtype == DType::kInt32);
      if (v.dtype != t && !pow_exponent)
        ic.fail(
            cat("input ", i, " has type ", dtype_name(v.dtype), ", input 0 has ", dtype_name(t)));
      shapes_known = shapes_known && v.has_shape;
      shapes.push_back(v.shape);
    }
    if (!shapes_known) {
      ic.output(0).dtype = t;
      return;
    }
    ic.set_output(0, t, output_shape(shapes, ic.node));
  };
  def.flops = [](const KernelInfo& ki) {
    return double(std::max<size_t>(ki.inputs.size(), 2) - 1) * shape_numel(ki.outputs[0].shape);
  };
  auto make = [spec](bool use_kernel) {
    return [spec, use_kernel](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      Node node = ki.node;
      return std::make_unique<FunctionKernel>([spec, node, use_kernel](KernelContext& ctx) {
        switch (ctx.in(0).dtype()) {
          case DType::kFloat32:
            return run_float(spec, ctx, use_kernel);
          case DType::kInt64:
            return run_integer<int64_t>(spec, node, ctx);
          case DType::kInt32:
            return run_integer<int32_t>(spec, node, ctx);
          default:
            throw UnsupportedError(cat(node.describe(), ": unsupported input type"));
        }
      });
    };
  };
  def.impls.push_back({"eltwise", nullptr, make(true)});
  def.reference = KernelImpl{"reference", nullptr, make(false)};
  return def;
}

// Gradient rules: the elementwise derivative, then summed back over broadcast axes.
void set_grad(GradientContext& g, size_t i, const std::string& full) {
  g.set_input_grad(i, g.unbroadcast(full, g.output_type(0).shape, g.input_type(i).shape));
}
void add_gradient(GradientContext& g) {
  for (size_t i = 0; i < 2; ++i)
    if (g.wants(i)) set_grad(g, i, g.output_grad(0));
}
void sub_gradient(GradientContext& g) {
  if (g.wants(0)) set_grad(g, 0, g.output_grad(0));
  if (g.wants(1)) set_grad(g, 1, g.emit("Neg", {g.output_grad(0)}));
}
void mul_gradient(GradientContext& g) {  // d(a*b) = b da + a db
  if (g.wants(0)) set_grad(g, 0, g.emit("Mul", {g.output_grad(0), g.input(1)}));
  if (g.wants(1)) set_grad(g, 1, g.emit("Mul", {g.output_grad(0), g.input(0)}));
}
void div_gradient(GradientContext& g) {  // d(a/b) = da / b - (a/b) db / b
  if (g.wants(0)) set_grad(g, 0, g.emit("Div", {g.output_grad(0), g.input(1)}));
  if (g.wants(1))
    set_grad(g, 1,
             g.emit("Neg",
                    {g.emit("Div", {g.emit("Mul", {g.output_grad(0), g.output(0)}), g.input(1)})}));
}
// Max/Min: each element's gradient goes to the input that supplied it, and on a tie to the
// first such input only, so that the inputs' gradients still add up to dy.
void extremum_gradient(GradientContext& g) {
  size_t last_wanted = 0;
  for (size_t i = 0; i < g.node().inputs.size(); ++i)
    if (g.wants(i)) last_wanted = i;
  const std::string zero = g.scalar(0.0f);
  std::string taken;  // where an earlier input already supplied the output
  for (size_t i = 0; i <= last_wanted; ++i) {
    const std::string supplies = g.emit("Equal", {g.input(i), g.output(0)});
    const std::string own =
        taken.empty() ? supplies : g.emit("And", {supplies, g.emit("Not", {taken})});
    if (g.wants(i)) set_grad(g, i, g.emit("Where", {own, g.output_grad(0), zero}));
    if (i < last_wanted) taken = taken.empty() ? supplies : g.emit("Or", {taken, supplies});
  }
}
OpDef make_add() {
  return with_gradient(make_binary({"Add", BinaryOp::kAdd, false, false, true}), add_gradient);
}
OpDef make_sub() {
  return with_gradient(make_binary({"Sub", BinaryOp::kSub, false, false, true}), sub_gradient);
}
OpDef make_mul() {
  return with_gradient(make_binary({"Mul", BinaryOp::kMul, false, false, true}), mul_gradient);
}
OpDef make_div() {
  return with_gradient(make_binary({"Div", BinaryOp::kDiv, false, false, true}), div_gradient);
}
OpDef make_pow() { return make_binary({"Pow", BinaryOp::kPow, false, false, false}); }
OpDef make_max() {
  return with_gradient(make_binary({"Max", BinaryOp::kMax, true, false, true}), extremum_gradient);
}
OpDef make_min() {
  return with_gradient(make_binary({"Min", BinaryOp::kMin, true, false, true}), extremum_gradient);
}
OpDef make_sum() { return make_binary({"Sum", BinaryOp::kAdd, true, false, true}); }
OpDef make_mean() { return make_binary({"Mean", BinaryOp::kAdd, true, true, false}); }

// PRelu: y = x < 0 ? slope * x : x, slope broadcast (unidirectionally) to x.
OpDef make_prelu() {
  OpDef def;
  def.type = "PRelu";
  def.since_opset = 7;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const ValueType& slope = ic.input(1);
    if (x.dtype != DType::kFloat32 || slope.dtype != DType::kFloat32)
      throw UnsupportedError(cat(ic.node.describe(), ": X and slope must be float32"));
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    if (slope.has_shape && output_shape({x.shape, slope.shape}, ic.node) != x.shape &&
        shape_is_static(x.shape))
      ic.fail(
          cat("slope ", shape_str(slope.shape), " does not broadcast to X ", shape_str(x.shape)));
    ic.set_output(0, DType::kFloat32, x.shape);
  };
  def.flops = [](const KernelInfo& ki) { return double(shape_numel(ki.outputs[0].shape)); };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           const Tensor& s = ctx.in(1);
                           broadcast_loop<float, float>(
                               x.data<float>(), x.shape(), s.data<float>(), s.shape(),
                               ctx.out(0).data<float>(), x.shape(),
                               [](float v, float k) { return v < 0 ? v * k : v; });
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_add);
SINTER_REGISTER_OP(make_sub);
SINTER_REGISTER_OP(make_mul);
SINTER_REGISTER_OP(make_div);
SINTER_REGISTER_OP(make_pow);
SINTER_REGISTER_OP(make_max);
SINTER_REGISTER_OP(make_min);
SINTER_REGISTER_OP(make_sum);
SINTER_REGISTER_OP(make_mean);
SINTER_REGISTER_OP(make_prelu);
}  // namespace sinter
