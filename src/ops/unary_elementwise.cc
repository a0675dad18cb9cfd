// Element-wise unary ops. Float ops that the eltwise kernel library provides run through
// kernels::unary (vectorized, threaded), with its plain-loop twin as the reference. The few it
// lacks (Reciprocal, Floor, Ceil, Softplus, Softsign, Elu, Selu, Sign, and the integer forms of
// Neg/Abs/Relu/Clip that shape subgraphs use) are plain loops here, split over the pool.
#include <cmath>
#include <limits>
#include <optional>

#include "core/integer_semantics.h"
#include "kernels/eltwise/unary.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

using kernels::UnaryOp;

constexpr int64_t kGrain = 16 * 1024;

// Parameters resolved from attributes (and Clip's optional inputs) at run time.
struct UnaryParams {
  float alpha = 0.0f, beta = 0.0f;
};

struct UnarySpec {
  const char* type;
  int since;
  std::optional<UnaryOp> kernel_op;                // set when kernels::unary implements it
  float (*scalar)(float x, const UnaryParams& p);  // plain definition (ops without a kernel)
  bool integers;                                   // int32/int64 allowed (sign-symmetric ops only)
  // Reads alpha/beta from the node's attributes.
  UnaryParams (*params)(const Node& node, int64_t opset);
  double flops_per_element;
};

UnaryParams no_params(const Node&, int64_t) { return {}; }

template <class T>
void for_each_chunk(int64_t n, ThreadPool* pool, const T& fn) {
  if (n < 2 * kGrain) {
    fn(0, n);
    return;
  }
  pool->parallel_range(n, kGrain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

// Clip's bounds: attributes before opset 11, optional scalar inputs from 11.
template <class T>
std::pair<T, T> clip_bounds(const Node& node, int64_t opset, const KernelContext& ctx) {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (opset < 11) {
    lo = saturate_cast<T>(node.attr_float("min", static_cast<float>(lo)));
    hi = saturate_cast<T>(node.attr_float("max", static_cast<float>(hi)));
    if constexpr (std::is_floating_point_v<T>) {
      if (!node.has_attr("min")) lo = -std::numeric_limits<T>::infinity();
      if (!node.has_attr("max")) hi = std::numeric_limits<T>::infinity();
    }
    return {lo, hi};
  }
  if constexpr (std::is_floating_point_v<T>) {
    lo = -std::numeric_limits<T>::infinity();
    hi = std::numeric_limits<T>::infinity();
  }
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_in(i)) continue;
    const Tensor& t = ctx.in(i);
    if (t.numel() != 1)
      throw InputError(cat(node.describe(), ": Clip bound ", i, " must be a scalar, got ",
                           shape_str(t.shape())));
    (i == 1 ? lo : hi) = t.data<T>()[0];
  }
  return {lo, hi};
}

template <class T>
void run_integer(const UnarySpec& spec, const Node& node, int64_t opset, KernelContext& ctx) {
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  const int64_t n = ctx.in(0).numel();
  const std::string type = spec.type;
  // The negation of the smallest value wraps to itself (see core/integer_semantics.h).
  if (type == "Neg") {
    for (int64_t i = 0; i < n; ++i) y[i] = wrapping_neg(x[i]);
  } else if (type == "Abs") {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0 ? wrapping_neg(x[i]) : x[i];
  } else if (type == "Relu") {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0;
  } else if (type == "Sign") {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] > 0) - (x[i] < 0);
  } else {  // Clip
    auto [lo, hi] = clip_bounds<T>(node, opset, ctx);
    for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  }
}

void run_float(const UnarySpec& spec, const Node& node, int64_t opset, KernelContext& ctx,
               bool use_kernel) {
  const float* x = ctx.in(0).data<float>();
  float* y = ctx.out(0).data<float>();
  const int64_t n = ctx.in(0).numel();
  UnaryParams p = spec.params(node, opset);
  if (std::string(spec.type) == "Clip")
    std::tie(p.alpha, p.beta) = clip_bounds<float>(node, opset, ctx);
  if (spec.kernel_op) {
    if (use_kernel) {
      kernels::unary(*spec.kernel_op, x, y, n, p.alpha, p.beta, ctx.pool);
    } else {
      kernels::unary_reference(*spec.kernel_op, x, y, n, p.alpha, p.beta);
    }
    return;
  }
  for_each_chunk(n, ctx.pool, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = spec.scalar(x[i], p);
  });
}

OpDef make_unary(const UnarySpec& spec) {
  OpDef def;
  def.type = spec.type;
  def.since_opset = spec.since;
  def.infer = [spec](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const bool is_int = x.dtype == DType::kInt64 || x.dtype == DType::kInt32;
    if (x.dtype != DType::kFloat32 && !(spec.integers && is_int))
      throw UnsupportedError(
          cat(ic.node.describe(), ": ", "input type ", dtype_name(x.dtype), " is not supported"));
    for (size_t i = 1; i < ic.num_inputs(); ++i)
      if (ic.has_input(i) && ic.input(i).dtype != x.dtype)
        ic.fail(cat("input ", i, " must have the type of input 0 (", dtype_name(x.dtype), ")"));
    if (x.has_shape) {
      ic.set_output(0, x.dtype, x.shape);
    } else {
      ic.output(0).dtype = x.dtype;
    }
    spec.params(ic.node, ic.opset);  // rejects bad attributes before run time
  };
  const double fpe = spec.flops_per_element;
  def.flops = [fpe](const KernelInfo& ki) { return fpe * shape_numel(ki.outputs[0].shape); };
  auto make = [spec](bool use_kernel) {
    return [spec, use_kernel](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      Node node = ki.node;
      int64_t opset = ki.opset;
      return std::make_unique<FunctionKernel>([spec, node, opset, use_kernel](KernelContext& ctx) {
        switch (ctx.in(0).dtype()) {
          case DType::kFloat32:
            return run_float(spec, node, opset, ctx, use_kernel);
          case DType::kInt64:
            return run_integer<int64_t>(spec, node, opset, ctx);
          case DType::kInt32:
            return run_integer<int32_t>(spec, node, opset, ctx);
          default:
            throw UnsupportedError(cat(node.describe(), ": unsupported input type"));
        }
      });
    };
  };
  // With a vector kernel the plain loop is the oracle it is tested against; without one it is
  // what runs.
  if (spec.kernel_op) {
    def.impls.push_back({"eltwise", nullptr, make(true)});
    def.reference = KernelImpl{"reference", nullptr, make(false)};
  } else {
    def.impls.push_back({"generic", nullptr, make(false)});
  }
  return def;
}

float unused_scalar(float x, const UnaryParams&) { return x; }

UnarySpec kernel_spec(const char* type, UnaryOp op, bool integers = false,
                      UnaryParams (*params)(const Node&, int64_t) = no_params, double flops = 1.0) {
  return {type, 1, op, unused_scalar, integers, params, flops};
}

UnarySpec loop_spec(const char* type, float (*fn)(float, const UnaryParams&),
                    UnaryParams (*params)(const Node&, int64_t) = no_params, double flops = 1.0,
                    bool integers = false) {
  return {type, 1, std::nullopt, fn, integers, params, flops};
}

UnaryParams hard_sigmoid_params(const Node& n, int64_t) {
  return {n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)};
}
UnaryParams leaky_relu_params(const Node& n, int64_t) { return {n.attr_float("alpha", 0.01f), 0}; }
UnaryParams elu_params(const Node& n, int64_t) { return {n.attr_float("alpha", 1.0f), 0}; }
UnaryParams selu_params(const Node& n, int64_t) {
  return {n.attr_float("alpha", 1.67326319217681884765625f),
          n.attr_float("gamma", 1.05070102214813232421875f)};
}

// Gradient rules, in ops the executor already runs. y is the forward output, dy dL/dy.
// Relu's is one fused pass, ReluGrad(dy, y) (ops/relu_grad.cc): dx = y > 0 ? dy : 0.
void relu_gradient(GradientContext& g) {
  g.set_input_grad(0, g.emit_in_domain("ReluGrad", "sinter", {g.output_grad(0), g.output(0)}));
}
void sigmoid_gradient(GradientContext& g) {  // dx = dy * y * (1 - y)
  const std::string y = g.output(0);
  g.set_input_grad(
      0, g.emit("Mul", {g.output_grad(0), g.emit("Mul", {y, g.emit("Sub", {g.scalar(1.0f), y})})}));
}
void tanh_gradient(GradientContext& g) {  // dx = dy * (1 - y^2)
  const std::string y = g.output(0);
  g.set_input_grad(
      0, g.emit("Mul", {g.output_grad(0), g.emit("Sub", {g.scalar(1.0f), g.emit("Mul", {y, y})})}));
}
void exp_gradient(GradientContext& g) {  // dx = dy * y
  g.set_input_grad(0, g.emit("Mul", {g.output_grad(0), g.output(0)}));
}
void sqrt_gradient(GradientContext& g) {  // dx = dy / (2 y)
  g.set_input_grad(0,
                   g.emit("Div", {g.output_grad(0), g.emit("Mul", {g.output(0), g.scalar(2.0f)})}));
}
void reciprocal_gradient(GradientContext& g) {  // dx = -dy y^2
  const std::string y = g.output(0);
  g.set_input_grad(0, g.emit("Neg", {g.emit("Mul", {g.output_grad(0), g.emit("Mul", {y, y})})}));
}
void neg_gradient(GradientContext& g) { g.set_input_grad(0, g.emit("Neg", {g.output_grad(0)})); }
// y = min(m, hi) with m = max(x, lo), as the kernel computes it; the chain rule through both
// sends dy to hi where m > hi, and the rest of it to lo where x < lo, else to x. Summed over
// the elements for the (scalar) bounds, which are learnable from opset 11 as inputs.
void clip_gradient(GradientContext& g) {
  std::string lo, hi;
  if (g.opset() < 11) {
    if (g.node().has_attr("min")) lo = g.scalar(g.node().attr_float("min", 0.0f));
    if (g.node().has_attr("max")) hi = g.scalar(g.node().attr_float("max", 0.0f));
  } else {
    if (g.node().has_input(1)) lo = g.input(1);
    if (g.node().has_input(2)) hi = g.input(2);
  }
  const std::string x = g.input(0), zero = g.scalar(0.0f);
  const Shape& shape = g.input_type(0).shape;
  std::string dm = g.output_grad(0);
  if (!hi.empty()) {
    const std::string above = g.emit("Greater", {lo.empty() ? x : g.emit("Max", {x, lo}), hi});
    if (g.wants(2))
      g.set_input_grad(
          2, g.unbroadcast(g.emit("Where", {above, dm, zero}), shape, g.input_type(2).shape));
    dm = g.emit("Where", {above, zero, dm});
  }
  std::string dx = dm;
  if (!lo.empty()) {
    const std::string below = g.emit("Less", {x, lo});
    if (g.wants(1))
      g.set_input_grad(
          1, g.unbroadcast(g.emit("Where", {below, dm, zero}), shape, g.input_type(1).shape));
    if (g.wants(0)) dx = g.emit("Where", {below, zero, dm});
  }
  g.set_input_grad(0, dx);
}

OpDef make_relu() {
  return with_gradient(make_unary(kernel_spec("Relu", UnaryOp::kRelu, true)), relu_gradient);
}
OpDef make_clip() {
  return with_gradient(make_unary(kernel_spec("Clip", UnaryOp::kClip, true)), clip_gradient);
}
OpDef make_sigmoid() {
  return with_gradient(make_unary(kernel_spec("Sigmoid", UnaryOp::kSigmoid, false, no_params, 4)),
                       sigmoid_gradient);
}
OpDef make_tanh() {
  return with_gradient(make_unary(kernel_spec("Tanh", UnaryOp::kTanh, false, no_params, 4)),
                       tanh_gradient);
}
OpDef make_hard_sigmoid() {
  return make_unary(
      kernel_spec("HardSigmoid", UnaryOp::kHardSigmoid, false, hard_sigmoid_params, 3));
}
OpDef make_hard_swish() {
  auto s = kernel_spec("HardSwish", UnaryOp::kHardSwish, false, no_params, 4);
  s.since = 14;
  return make_unary(s);
}
OpDef make_leaky_relu() {
  return make_unary(kernel_spec("LeakyRelu", UnaryOp::kLeakyRelu, false, leaky_relu_params, 2));
}
OpDef make_erf() { return make_unary(kernel_spec("Erf", UnaryOp::kErf, false, no_params, 8)); }
OpDef make_sqrt() {
  return with_gradient(make_unary(kernel_spec("Sqrt", UnaryOp::kSqrt)), sqrt_gradient);
}
OpDef make_exp() {
  return with_gradient(make_unary(kernel_spec("Exp", UnaryOp::kExp, false, no_params, 4)),
                       exp_gradient);
}
OpDef make_log() { return make_unary(kernel_spec("Log", UnaryOp::kLog, false, no_params, 4)); }
OpDef make_neg() {
  return with_gradient(make_unary(kernel_spec("Neg", UnaryOp::kNeg, true)), neg_gradient);
}
OpDef make_abs() { return make_unary(kernel_spec("Abs", UnaryOp::kAbs, true)); }

OpDef make_reciprocal() {
  return with_gradient(
      make_unary(loop_spec("Reciprocal", [](float x, const UnaryParams&) { return 1.0f / x; })),
      reciprocal_gradient);
}
OpDef make_floor() {
  return make_unary(loop_spec("Floor", [](float x, const UnaryParams&) { return std::floor(x); }));
}
OpDef make_ceil() {
  return make_unary(loop_spec("Ceil", [](float x, const UnaryParams&) { return std::ceil(x); }));
}
OpDef make_softplus() {
  // log(1 + e^x) without overflow for large x.
  return make_unary(loop_spec(
      "Softplus",
      [](float x, const UnaryParams&) {
        return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      },
      no_params, 4));
}
OpDef make_softsign() {
  return make_unary(
      loop_spec("Softsign", [](float x, const UnaryParams&) { return x / (1.0f + std::abs(x)); }));
}
OpDef make_elu() {
  return make_unary(loop_spec(
      "Elu", [](float x, const UnaryParams& p) { return x >= 0 ? x : p.alpha * std::expm1(x); },
      elu_params, 4));
}
OpDef make_selu() {
  return make_unary(loop_spec(
      "Selu",
      [](float x, const UnaryParams& p) { return p.beta * (x > 0 ? x : p.alpha * std::expm1(x)); },
      selu_params, 4));
}
OpDef make_sign() {
  return make_unary(loop_spec(
      "Sign", [](float x, const UnaryParams&) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); },
      no_params, 1, true));
}

// Less common math that some exported models and the ONNX tests use: plain loops.
#define SINTER_STD_UNARY(name, expr)                                             \
  OpDef make_##name() {                                                          \
    return make_unary(loop_spec(                                                 \
        #name, [](float x, const UnaryParams&) { return expr; }, no_params, 8)); \
  }
SINTER_STD_UNARY(Round, std::nearbyint(x))  // halves to even under the default rounding mode
SINTER_STD_UNARY(Sin, std::sin(x))
SINTER_STD_UNARY(Cos, std::cos(x))
SINTER_STD_UNARY(Tan, std::tan(x))
SINTER_STD_UNARY(Asin, std::asin(x))
SINTER_STD_UNARY(Acos, std::acos(x))
SINTER_STD_UNARY(Atan, std::atan(x))
SINTER_STD_UNARY(Sinh, std::sinh(x))
SINTER_STD_UNARY(Cosh, std::cosh(x))
SINTER_STD_UNARY(Asinh, std::asinh(x))
SINTER_STD_UNARY(Acosh, std::acosh(x))
SINTER_STD_UNARY(Atanh, std::atanh(x))
#undef SINTER_STD_UNARY

UnaryParams thresholded_relu_params(const Node& n, int64_t) {
  return {n.attr_float("alpha", 1.0f), 0};
}
OpDef make_thresholded_relu() {
  return make_unary(loop_spec(
      "ThresholdedRelu", [](float x, const UnaryParams& p) { return x > p.alpha ? x : 0.0f; },
      thresholded_relu_params));
}
OpDef make_celu() {
  return make_unary(loop_spec(
      "Celu",
      [](float x, const UnaryParams& p) {
        return std::max(0.0f, x) + std::min(0.0f, p.alpha * std::expm1(x / p.alpha));
      },
      elu_params, 4));
}

}  // namespace
SINTER_REGISTER_OP(make_relu);
SINTER_REGISTER_OP(make_clip);
SINTER_REGISTER_OP(make_sigmoid);
SINTER_REGISTER_OP(make_tanh);
SINTER_REGISTER_OP(make_hard_sigmoid);
SINTER_REGISTER_OP(make_hard_swish);
SINTER_REGISTER_OP(make_leaky_relu);
SINTER_REGISTER_OP(make_erf);
SINTER_REGISTER_OP(make_sqrt);
SINTER_REGISTER_OP(make_exp);
SINTER_REGISTER_OP(make_log);
SINTER_REGISTER_OP(make_neg);
SINTER_REGISTER_OP(make_abs);
SINTER_REGISTER_OP(make_reciprocal);
SINTER_REGISTER_OP(make_floor);
SINTER_REGISTER_OP(make_ceil);
SINTER_REGISTER_OP(make_softplus);
SINTER_REGISTER_OP(make_softsign);
SINTER_REGISTER_OP(make_elu);
SINTER_REGISTER_OP(make_selu);
SINTER_REGISTER_OP(make_sign);
SINTER_REGISTER_OP(make_Round);
SINTER_REGISTER_OP(make_Sin);
SINTER_REGISTER_OP(make_Cos);
SINTER_REGISTER_OP(make_Tan);
SINTER_REGISTER_OP(make_Asin);
SINTER_REGISTER_OP(make_Acos);
SINTER_REGISTER_OP(make_Atan);
SINTER_REGISTER_OP(make_Sinh);
SINTER_REGISTER_OP(make_Cosh);
SINTER_REGISTER_OP(make_Asinh);
SINTER_REGISTER_OP(make_Acosh);
SINTER_REGISTER_OP(make_Atanh);
SINTER_REGISTER_OP(make_thresholded_relu);
SINTER_REGISTER_OP(make_celu);
}  // namespace sinter
