// Gelu (opset 20): y = x/2 (1 + erf(x/sqrt(2))), or with approximate = "tanh"
// y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Transformers spend real time here, so the
// production kernel takes erf or tanh from the vectorized eltwise kernels, a cache-sized chunk at
// a time; the reference is the formula with std:: functions.
#include <cmath>

#include "kernels/eltwise/unary.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kCubic = 0.044715f;

// Whether the node asks for the tanh approximation; any other value than none/tanh fails.
bool uses_tanh(const Node& node) {
  const std::string a = node.attr_string("approximate", "none");
  if (a != "none" && a != "tanh")
    throw ModelError(
        cat(node.describe(), ": attribute 'approximate' = '", a, "' is not one of 'none', 'tanh'"));
  return a == "tanh";
}

// What erf or tanh is applied to.
inline float gelu_argument(float x, bool tanh) {
  return tanh ? kSqrt2OverPi * (x + kCubic * x * x * x) : x * kInvSqrt2;
}

void gelu_reference(const float* x, float* y, int64_t n, bool tanh) {
  for (int64_t i = 0; i < n; ++i) {
    const float u = gelu_argument(x[i], tanh);
    y[i] = 0.5f * x[i] * (1.0f + (tanh ? std::tanh(u) : std::erf(u)));
  }
}

// Serial over [0, n): arguments into a small buffer, erf/tanh over it vectorized, then the
// product. The buffer keeps it correct when y aliases x.
void gelu_vectorized(const float* x, float* y, int64_t n, bool tanh) {
  constexpr int64_t kChunk = 1024;
  float t[kChunk];
  const kernels::UnaryOp op = tanh ? kernels::UnaryOp::kTanh : kernels::UnaryOp::kErf;
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t len = std::min(kChunk, n - b);
    for (int64_t i = 0; i < len; ++i) t[i] = gelu_argument(x[b + i], tanh);
    kernels::unary(op, t, t, len);
    for (int64_t i = 0; i < len; ++i) y[b + i] = 0.5f * x[b + i] * (1.0f + t[i]);
  }
}

std::unique_ptr<Kernel> make_gelu_kernel(const KernelInfo& ki, bool vectorized) {
  const bool tanh = uses_tanh(ki.node);
  return std::make_unique<FunctionKernel>([tanh, vectorized](KernelContext& ctx) {
    const float* x = ctx.in(0).data<float>();
    float* y = ctx.out(0).data<float>();
    const int64_t n = ctx.in(0).numel();
    if (!vectorized) return gelu_reference(x, y, n, tanh);
    constexpr int64_t kGrain = 16 * 1024;
    if (!ctx.pool || ctx.pool->num_threads() == 1 || n < 2 * kGrain)
      return gelu_vectorized(x, y, n, tanh);
    ctx.pool->parallel_range(
        n, kGrain, [&](int64_t b, int64_t e, int) { gelu_vectorized(x + b, y + b, e - b, tanh); });
  });
}

OpDef make_gelu() {
  OpDef def;
  def.type = "Gelu";
  def.since_opset = 20;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (x.dtype != DType::kFloat32)
      throw UnsupportedError(
          cat(ic.node.describe(), ": input type ", dtype_name(x.dtype), " is not supported"));
    uses_tanh(ic.node);
    if (x.has_shape) {
      ic.set_output(0, x.dtype, x.shape);
    } else {
      ic.output(0).dtype = x.dtype;
    }
  };
  def.flops = [](const KernelInfo& ki) { return 12.0 * shape_numel(ki.outputs[0].shape); };
  def.impls.push_back(
      {"eltwise", nullptr, [](const KernelInfo& ki) { return make_gelu_kernel(ki, true); }});
  def.reference = KernelImpl{"reference", nullptr,
                             [](const KernelInfo& ki) { return make_gelu_kernel(ki, false); }};
  return def;
}

// The same in sinter's domain at any opset: what passes/fuse_gelu makes of an exported GELU.
OpDef make_fused_gelu() {
  OpDef def = make_gelu();
  def.domain = "sinter";
  def.since_opset = 1;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_gelu);
SINTER_REGISTER_OP(make_fused_gelu);
}  // namespace sinter
