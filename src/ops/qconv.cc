// sinter::QConv: a quantized Conv, Gemm or MatMul on u8 channels-last activations
// (kernels/qconv/qconv2d.h), made by the integer-layers pass (passes/integer_layers.h).
// Inputs: X u8 [N, H, W, C] (or [rows, K] for a Gemm), W s8 [M, C/group, KH, KW] (or [M, K]),
// W_scale float [M], or [M, vectors] with the attribute w_vector_size = V (per-vector scales over
// each output channel's window in (kh, kw, c) order, vectors = ceil(KH * KW * C / group / V)),
// optional B float [M], all but X constant, and an optional residual R u8 shaped like Y (a fused
// Add; attributes r_scale, r_zero_point). Attributes: Conv's window attributes, x_scale,
// x_zero_point, y_scale, y_zero_point, the output range y_min, y_max (a fused ReLU or Clip) and
// w_bits (4: every weight in [-8, 7]). Y is u8 [N, OH, OW, M] (or [rows, M]).
#include <memory>
#include <string>

#include "kernels/qconv/qconv2d.h"
#include "kernels/sparse/qpattern_conv2d.h"
#include "ops/conv_common.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

// X and W as the NCHW Conv they stand for.
Shape logical_x(const Shape& x) {
  return x.size() == 2 ? Shape{x[0], x[1], 1, 1} : Shape{x[0], x[3], x[1], x[2]};
}
Shape logical_w(const Shape& w) { return w.size() == 2 ? Shape{w[0], w[1], 1, 1} : w; }

// The window's length K of one output channel (the reduction of its GEMM row).
int64_t reduction_of(const Shape& w) {
  const Shape lw = logical_w(w);
  return lw[1] * lw[2] * lw[3];
}

int64_t vectors_of(int64_t K, int64_t vector_size) {
  return vector_size > 0 ? (K + vector_size - 1) / vector_size : 1;
}

kernels::QConvQuant quant_of(const Node& node, const Tensor& w, const Tensor& w_scale) {
  kernels::QConvQuant q;
  q.vector_size = node.attr_int_in("w_vector_size", 0, 0, int64_t{1} << 20);
  q.weight_bits = static_cast<int>(node.attr_int_in("w_bits", 8, 4, 8));
  if (q.weight_bits == 4)
    for (int64_t i = 0; i < w.numel(); ++i)
      if (const int8_t v = w.data<int8_t>()[i]; v < -8 || v > 7)
        throw ModelError(cat(node.describe(), ": W[", i, "] = ", int{v},
                             " is outside [-8, 7], the range of its 4-bit weights"));
  q.x_scale = scale_attribute(node, "x_scale");
  q.x_zero_point = static_cast<int32_t>(node.attr_int_in("x_zero_point", 0, 0, 255));
  q.y_scale = scale_attribute(node, "y_scale");
  q.y_zero_point = static_cast<int32_t>(node.attr_int_in("y_zero_point", 0, 0, 255));
  q.y_min = static_cast<int32_t>(node.attr_int_in("y_min", 0, 0, 255));
  q.y_max = static_cast<int32_t>(node.attr_int_in("y_max", 255, q.y_min, 255));
  const float* s = w_scale.data<float>();
  q.w_scales.assign(s, s + w_scale.numel());
  q.has_residual = node.has_input(4);
  if (q.has_residual) q.r_scale = scale_attribute(node, "r_scale");
  q.r_zero_point = static_cast<int32_t>(node.attr_int_in("r_zero_point", 0, 0, 255));
  check_scale_values(node.describe(), "W_scale", w_scale);
  return q;
}

void infer_qconv(InferContext& ic) {
  if (ic.num_inputs() < 3 || ic.num_inputs() > 5)
    ic.fail(cat("expects 3 to 5 inputs, got ", ic.num_inputs()));
  const ValueType& x = ic.input(0);
  const ValueType& w = ic.input(1);
  if (x.dtype != DType::kUint8 || w.dtype != DType::kInt8 || ic.input(2).dtype != DType::kFloat32 ||
      (ic.has_input(3) && ic.input(3).dtype != DType::kFloat32))
    ic.fail("expects u8 X, s8 W and float32 scales and bias");
  if (!x.has_shape || !w.has_shape || !shape_is_static(x.shape) || !shape_is_static(w.shape) ||
      !((x.shape.size() == 4 && w.shape.size() == 4) ||
        (x.shape.size() == 2 && w.shape.size() == 2)))
    ic.fail(cat("needs static X and W both of rank 4 or 2, got ", shape_str(x.shape), " and ",
                shape_str(w.shape)));
  const Conv2dShape s = conv_shape(ic.node, logical_x(x.shape), logical_w(w.shape));
  s.validate();
  const int64_t V = ic.node.attr_int("w_vector_size", 0), bits = ic.node.attr_int("w_bits", 8);
  if (V < 0 || V % 16 != 0)
    ic.fail(cat("w_vector_size must be a multiple of 16 (0: per channel), got ", V));
  if (bits != 4 && bits != 8) ic.fail(cat("w_bits must be 4 or 8, got ", bits));
  const Shape want_scale = V > 0 ? Shape{s.M, vectors_of(reduction_of(w.shape), V)} : Shape{s.M};
  const ValueType& scale = ic.input(2);
  if (!scale.has_shape || scale.shape != want_scale)
    ic.fail(cat("W_scale must be ", shape_str(want_scale), ", got ", shape_str(scale.shape)));
  if (ic.has_input(3) && (!ic.input(3).has_shape || ic.input(3).shape != Shape{s.M}))
    ic.fail(cat("B must be [", s.M, "], got ", shape_str(ic.input(3).shape)));
  const Shape y = x.shape.size() == 2 ? Shape{s.N, s.M} : Shape{s.N, s.OH(), s.OW(), s.M};
  if (ic.has_input(4)) {
    const ValueType& r = ic.input(4);
    if (r.dtype != DType::kUint8 || !r.has_shape || r.shape != y)
      ic.fail(cat("residual R must be u8 ", shape_str(y), ", got ", shape_str(r.shape)));
    if (!kernels::QConv2d::supports_residual(s))
      ic.fail("a depthwise or direct layer takes no fused residual");
  }
  ic.set_output(0, DType::kUint8, y);
}

// The weights' format and the algorithm: int8_window, int4_v32_gemm, ...
std::string variant_of(const kernels::QConv2d& conv) {
  std::string format = cat("int", conv.packed_bits(), "_");
  if (conv.vector_size() > 0) format += cat("v", conv.vector_size(), "_");
  switch (conv.algorithm()) {
    case kernels::QConv2d::Algorithm::kPointwise:
      return format + "1x1";
    case kernels::QConv2d::Algorithm::kWindow:
      return format + "window";
    case kernels::QConv2d::Algorithm::kGemm:
      return format + "gemm";
    case kernels::QConv2d::Algorithm::kDepthwise:
      return format + "depthwise";
    case kernels::QConv2d::Algorithm::kDirect:
      return format + "direct";
  }
  return format;
}

// A pattern-pruned 3x3 layer on the integer pattern kernel (kernels/sparse/qpattern_conv2d.h).
std::string variant_of(const kernels::QPatternConv2d&) { return "int8_pattern"; }

// The node as the integer kernels take it.
struct ConvArgs {
  Conv2dShape shape;
  const int8_t* w;
  const float* bias;
  kernels::QConvQuant quant;
};

ConvArgs conv_args(const KernelInfo& ki) {
  return {conv_shape(ki.node, logical_x(ki.inputs[0].shape), logical_w(ki.inputs[1].shape)),
          ki.constant(1)->data<int8_t>(),
          ki.node.has_input(3) ? ki.constant(3)->data<float>() : nullptr,
          quant_of(ki.node, *ki.constant(1), *ki.constant(2))};
}

// A QConv on `Conv`: kernels::QConv2d, or kernels::QPatternConv2d.
template <class Conv>
class IntegerConvKernel : public Kernel {
 public:
  explicit IntegerConvKernel(const KernelInfo& ki) : IntegerConvKernel(conv_args(ki)) {}

  void run(KernelContext& ctx) override {
    conv_.run(ctx.in(0).data<uint8_t>(), ctx.out(0).data<uint8_t>(), ctx.pool,
              ctx.has_in(4) ? ctx.in(4).data<uint8_t>() : nullptr);
  }

  const char* variant() const override { return variant_.c_str(); }

 private:
  explicit IntegerConvKernel(const ConvArgs& a)
      : conv_(a.shape, a.w, a.bias, a.quant), variant_(variant_of(conv_)) {}

  Conv conv_;
  std::string variant_;
};

bool constants_given(const KernelInfo& ki) {
  for (size_t i = 1; i < 4; ++i)
    if (ki.node.has_input(i) && !ki.constant(i)) return false;
  return true;
}

// Whether the pattern kernel can run the node (pays: and beats the dense one).
bool pattern_candidate(const KernelInfo& ki, bool pays) {
  if (!ki.sparse_kernels || !constants_given(ki) || ki.inputs[0].shape.size() != 4) return false;
  const Conv2dShape s =
      conv_shape(ki.node, logical_x(ki.inputs[0].shape), logical_w(ki.inputs[1].shape));
  const Tensor& w = *ki.constant(1);
  const kernels::QConvQuant q = quant_of(ki.node, w, *ki.constant(2));
  return pays ? kernels::QPatternConv2d::pays(s, w.data<int8_t>(), q)
              : kernels::QPatternConv2d::supports(s, w.data<int8_t>(), q);
}

OpDef make_qconv() {
  OpDef def;
  def.type = "QConv";
  def.domain = "sinter";
  def.infer = infer_qconv;
  def.flops = [](const KernelInfo& ki) {
    const Shape w = logical_w(ki.inputs[1].shape);
    const Shape& y = ki.outputs[0].shape;
    double pixels = 1;
    for (size_t i = 0; i + 1 < y.size(); ++i) pixels *= static_cast<double>(y[i]);
    return 2.0 * w[0] * w[1] * w[2] * w[3] * pixels;
  };
  def.impls.push_back({"qconv_pattern",
                       [](const KernelInfo& ki) { return pattern_candidate(ki, true); },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<IntegerConvKernel<kernels::QPatternConv2d>>(ki);
                       },
                       [](const KernelInfo& ki) { return pattern_candidate(ki, false); }});
  def.impls.push_back({"qconv", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         if (!constants_given(ki))
                           throw ModelError(
                               cat(ki.node.describe(), ": W, W_scale and B must be constant"));
                         return std::make_unique<IntegerConvKernel<kernels::QConv2d>>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qconv);
}  // namespace sinter
