// Conv (1-D to 3-D; 1-D runs as 2-D with H = 1, 3-D as 2-D convolutions per depth tap,
// kernels/conv/conv3d.h) and sinter::FusedConv, the same plus an optional residual input Z (added
// before the activation) and an activation, both made by graph passes. Implementations, most
// specialized first: 3-D, then for 1-D and 2-D the depthwise kernel (group == C), the sparse
// kernels of kernels/sparse for constant weights with enough zeros (pruned models: pattern-sparse
// 3x3, then CSR), the planned Conv2d from kernels/conv (weights packed at plan time, so the weight
// must be constant), and the direct reference convolution.
#include <memory>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_live_taps.h"
#include "kernels/conv/conv3d.h"
#include "kernels/depthwise/depthwise_conv2d.h"
#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/sparse_kernel_choice.h"
#include "ops/conv_common.h"
#include "ops/fused_activation.h"
#include "ops/op_registry.h"
#include "ops/window_geometry.h"

namespace sinter {

std::vector<int64_t> kernel_dims(const Node& node, const Shape& w) {
  std::vector<int64_t> k(w.begin() + 2, w.end());
  if (node.has_attr("kernel_shape")) {
    std::vector<int64_t> attr = node.attr_ints("kernel_shape");
    bool ok = attr.size() == k.size();
    for (size_t i = 0; ok && i < k.size(); ++i) ok = k[i] < 0 || k[i] == attr[i];
    if (!ok)
      throw ModelError(cat(node.describe(), ": attribute 'kernel_shape' = ", shape_str(attr),
                           " does not match the weight shape ", shape_str(w)));
    k = attr;
  }
  return k;
}

// The 2-D problem for concrete X and W shapes (1-D as H = 1).
Conv2dShape conv_shape(const Node& node, const Shape& x, const Shape& w) {
  WindowGeometry g = window_geometry(node, {x.begin() + 2, x.end()}, kernel_dims(node, w), false);
  Conv2dShape s;
  s.N = x[0];
  s.C = x[1];
  s.M = w[0];
  s.group = node.attr_int("group", 1);
  const Window2d w2 = window_2d(g);
  s.H = x.size() == 3 ? 1 : x[2];
  s.W = x.back();
  s.KH = w2.kernel_h;
  s.KW = w2.kernel_w;
  s.stride_h = w2.stride_h;
  s.stride_w = w2.stride_w;
  s.dilation_h = w2.dilation_h;
  s.dilation_w = w2.dilation_w;
  s.pad_top = w2.pad_top;
  s.pad_left = w2.pad_left;
  s.pad_bottom = w2.pad_bottom;
  s.pad_right = w2.pad_right;
  return s;
}

Conv3dShape conv3d_shape(const Node& node, const Shape& x, const Shape& w) {
  const WindowGeometry g =
      window_geometry(node, {x.begin() + 2, x.end()}, kernel_dims(node, w), false);
  Conv3dShape s;
  Conv2dShape& p = s.plane;
  p.N = x[0];
  p.C = x[1];
  p.M = w[0];
  p.group = node.attr_int("group", 1);
  s.D = x[2];
  p.H = x[3];
  p.W = x[4];
  s.KD = g.kernel[0];
  p.KH = g.kernel[1];
  p.KW = g.kernel[2];
  s.stride_d = g.strides[0];
  p.stride_h = g.strides[1];
  p.stride_w = g.strides[2];
  s.dilation_d = g.dilations[0];
  p.dilation_h = g.dilations[1];
  p.dilation_w = g.dilations[2];
  s.pad_front = g.pads_begin[0];
  p.pad_top = g.pads_begin[1];
  p.pad_left = g.pads_begin[2];
  s.pad_back = g.pads_end[0];
  p.pad_bottom = g.pads_end[1];
  p.pad_right = g.pads_end[2];
  return s;
}

Shape conv_output_shape(const InferContext& ic, const Shape& x, const Shape& w,
                        size_t max_spatial) {
  if (x.size() < 3) ic.fail(cat("X must be [N, C, spatial...], got ", shape_str(x)));
  if (w.size() != x.size())
    ic.fail(cat("W ", shape_str(w), " must have the rank of X ", shape_str(x)));
  const size_t spatial = x.size() - 2;
  if (spatial > max_spatial)
    throw UnsupportedError(cat(ic.node.describe(), ": ", spatial,
                               "-D convolution is not supported (1-D to ", max_spatial, "-D are)"));
  const int64_t group = ic.node.attr_int("group", 1);
  const int64_t C = x[1], M = w[0];
  if (group < 1) ic.fail(cat("group must be positive, got ", group));
  if (C >= 0 && (C % group != 0 || (w[1] >= 0 && C / group != w[1])))
    ic.fail(cat("X has ", C, " channels, which with group=", group, " does not match W ",
                shape_str(w)));
  if (M >= 0 && M % group != 0)
    ic.fail(cat("W has ", M, " output channels, not divisible by group=", group));
  WindowGeometry g =
      window_geometry(ic.node, {x.begin() + 2, x.end()}, kernel_dims(ic.node, w), false);
  Shape out = {x[0], M};
  out.insert(out.end(), g.out.begin(), g.out.end());
  return out;
}

double conv_flops(const Shape& w, const Shape& y) {
  double per_output = 2.0 * w[1];
  for (size_t i = 2; i < w.size(); ++i) per_output *= w[i];
  return per_output * shape_numel(y);
}

void check_conv_bias(const InferContext& ic, size_t i, int64_t M) {
  if (!ic.input(i).has_shape) return;
  const Shape& b = ic.input(i).shape;
  if (b.size() != 1 || (M >= 0 && b[0] >= 0 && b[0] != M))
    ic.fail(cat("B must have shape [", M, "], got ", shape_str(b)));
}

namespace {

bool is_fused(const Node& node) { return node.domain == "sinter"; }

// Kernel sizes from W (kernel_shape, when given, must agree with them).
void infer_conv(InferContext& ic) {
  const size_t max_inputs = is_fused(ic.node) ? 4 : 3;
  if (ic.num_inputs() < 2 || ic.num_inputs() > max_inputs)
    ic.fail(cat("expects 2 to ", max_inputs, " inputs, got ", ic.num_inputs()));
  for (size_t i = 0; i < ic.num_inputs(); ++i)
    if (ic.has_input(i) && ic.input(i).dtype != DType::kFloat32)
      throw UnsupportedError(cat(ic.node.describe(), ": ", "input ", i, " must be float32, got ",
                                 dtype_name(ic.input(i).dtype)));
  if (is_fused(ic.node)) fused_activation(ic.node);  // rejects unknown activations early
  const ValueType& x = ic.input(0);
  const ValueType& w = ic.input(1);
  if (!x.has_shape || !w.has_shape) {
    ic.output(0).dtype = DType::kFloat32;
    return;
  }
  const Shape out = conv_output_shape(ic, x.shape, w.shape, 3);
  if (ic.has_input(2)) check_conv_bias(ic, 2, w.shape[0]);
  if (ic.has_input(3) && ic.input(3).has_shape && ic.input(3).shape != out &&
      shape_is_static(out) && shape_is_static(ic.input(3).shape))
    ic.fail(cat("residual Z ", shape_str(ic.input(3).shape), " must have the output shape ",
                shape_str(out)));
  ic.set_output(0, DType::kFloat32, out);
}

struct ConvInputs {
  const float *x, *w, *bias, *residual;
  float* y;
};

ConvInputs conv_inputs(KernelContext& ctx) {
  return {ctx.in(0).data<float>(), ctx.in(1).data<float>(),
          ctx.has_in(2) ? ctx.in(2).data<float>() : nullptr,
          ctx.has_in(3) ? ctx.in(3).data<float>() : nullptr, ctx.out(0).data<float>()};
}

// Shapes known at plan time are used as they are; otherwise they are read at every run.
class ConvKernelBase : public Kernel {
 public:
  explicit ConvKernelBase(const KernelInfo& ki)
      : node_(ki.node), act_(is_fused(ki.node) ? fused_activation(ki.node) : Activation{}) {}

 protected:
  Conv2dShape shape_for(const KernelContext& ctx) const {
    return conv_shape(node_, ctx.in(0).shape(), ctx.in(1).shape());
  }

  Node node_;
  Activation act_;
};

class DepthwiseConvKernel : public ConvKernelBase {
 public:
  using ConvKernelBase::ConvKernelBase;
  void run(KernelContext& ctx) override {
    const Conv2dShape s = shape_for(ctx);
    kernels::DepthwiseConv2dParams p;
    p.batch = s.N;
    p.channels = s.C;
    p.in_h = s.H;
    p.in_w = s.W;
    p.multiplier = s.M / s.C;
    p.kernel_h = s.KH;
    p.kernel_w = s.KW;
    p.stride_h = s.stride_h;
    p.stride_w = s.stride_w;
    p.pad_top = s.pad_top;
    p.pad_left = s.pad_left;
    p.pad_bottom = s.pad_bottom;
    p.pad_right = s.pad_right;
    p.dilation_h = s.dilation_h;
    p.dilation_w = s.dilation_w;
    p.activation = act_;
    ConvInputs in = conv_inputs(ctx);
    kernels::depthwise_conv2d(p, in.x, in.w, in.bias, in.residual, in.y, ctx.pool);
  }
};

class ReferenceConvKernel : public ConvKernelBase {
 public:
  using ConvKernelBase::ConvKernelBase;
  void run(KernelContext& ctx) override {
    ConvInputs in = conv_inputs(ctx);
    if (ctx.in(0).shape().size() == 5) {
      conv3d_reference(conv3d_shape(node_, ctx.in(0).shape(), ctx.in(1).shape()), in.x, in.w,
                       in.bias, in.residual, act_, in.y);
      return;
    }
    conv2d_reference(shape_for(ctx), in.x, in.w, in.bias, in.residual, act_, in.y);
  }
};

// The convolution of the window's live taps (conv2d_live_taps.h), unless an algorithm is forced
// that the cut window does not allow.
std::unique_ptr<Conv2d> plan_live_taps(const Conv2dShape& s, const float* w, const float* bias,
                                       const Activation& act,
                                       std::optional<Conv2d::Algorithm> force) {
  const std::optional<LiveTaps> cut = cut_dead_taps(s, w);
  if (cut && (!force || Conv2d::supports(*force, cut->shape)))
    return std::make_unique<Conv2d>(cut->shape, cut->weights.data(), bias, act, force);
  return std::make_unique<Conv2d>(s, w, bias, act, force);
}

// The planned GEMM-based convolution. Weights are packed once; when X's shape is only known at
// run time (a dynamic batch), the plan is rebuilt for each new shape from a copy of the weights.
class PlannedConvKernel : public ConvKernelBase {
 public:
  explicit PlannedConvKernel(const KernelInfo& ki) : ConvKernelBase(ki) {
    const Tensor& w = *ki.constant(1);
    const Tensor* b = ki.node.has_input(2) ? ki.constant(2) : nullptr;
    if (shape_is_static(ki.inputs[0].shape)) {
      plan_ = plan_live_taps(conv_shape(node_, ki.inputs[0].shape, w.shape()), w.data<float>(),
                             b ? b->data<float>() : nullptr, act_, forced_algorithm(ki));
      return;
    }
    weights_ = w.clone();
    if (b) bias_ = b->clone();
  }

  void run(KernelContext& ctx) override {
    const Conv2dShape s = shape_for(ctx);
    if (!plan_ || !same(plan_->shape(), s)) {
      SINTER_CHECK(weights_.defined() && weights_.numel() > 0, node_.describe(),
                   ": input shape differs from the planned one");
      plan_ = plan_live_taps(s, weights_.data<float>(),
                             bias_.numel() ? bias_.data<float>() : nullptr, act_, std::nullopt);
    }
    ConvInputs in = conv_inputs(ctx);
    plan_->run(in.x, in.y, in.residual, ctx.pool);
  }

  const char* variant() const override {
    return plan_ ? Conv2d::algorithm_name(plan_->algorithm()) : nullptr;
  }

 private:
  // The algorithm a tuner or a plan file names (KernelInfo::variant), if any.
  static std::optional<Conv2d::Algorithm> forced_algorithm(const KernelInfo& ki) {
    if (ki.variant.empty()) return std::nullopt;
    auto a = Conv2d::algorithm_named(ki.variant);
    if (!a)
      throw UnsupportedError(
          cat(ki.node.describe(), ": conv2d has no algorithm named '", ki.variant, "'"));
    return a;
  }

  static bool same(const Conv2dShape& a, const Conv2dShape& b) {
    return a.N == b.N && a.H == b.H && a.W == b.W;  // the rest is fixed by W and attributes
  }

  std::unique_ptr<Conv2d> plan_;
  Tensor weights_, bias_;
};

// Weights fed at run time (training, where they change every step): packed again on each run.
// Packing reads the weights once, a small cost next to the convolution that reuses them.
class RuntimeWeightsConvKernel : public ConvKernelBase {
 public:
  using ConvKernelBase::ConvKernelBase;
  void run(KernelContext& ctx) override {
    ConvInputs in = conv_inputs(ctx);
    if (ctx.in(0).shape().size() == 5) {
      Conv3d(conv3d_shape(node_, ctx.in(0).shape(), ctx.in(1).shape()), in.w, in.bias, act_)
          .run(in.x, in.y, in.residual, ctx.pool);
      return;
    }
    Conv2d(shape_for(ctx), in.w, in.bias, act_).run(in.x, in.y, in.residual, ctx.pool);
  }
};

// 3-D with constant weights on fixed shapes, planned once (conv2d_packed_per_run takes the rest).
class Conv3dKernel : public ConvKernelBase {
 public:
  explicit Conv3dKernel(const KernelInfo& ki)
      : ConvKernelBase(ki),
        plan_(conv3d_shape(node_, ki.inputs[0].shape, ki.inputs[1].shape),
              ki.constant(1)->data<float>(),
              ki.node.has_input(2) ? ki.constant(2)->data<float>() : nullptr, act_) {}
  void run(KernelContext& ctx) override {
    ConvInputs in = conv_inputs(ctx);
    plan_.run(in.x, in.y, in.residual, ctx.pool);
  }

 private:
  Conv3d plan_;
};

bool three_d(const KernelInfo& ki) { return ki.inputs[0].shape.size() == 5; }

bool weights_constant(const KernelInfo& ki) {
  return ki.constant(1) && (!ki.node.has_input(2) || ki.constant(2));
}

// A pruned layer's sparse kernel (PatternConv2d, BsrConv2d or CsrConv2d), built once for the
// plan's shapes.
template <typename SparseConv>
class SparseConvKernel : public ConvKernelBase {
 public:
  explicit SparseConvKernel(const KernelInfo& ki)
      : ConvKernelBase(ki),
        conv_(conv_shape(node_, ki.inputs[0].shape, ki.inputs[1].shape),
              ki.constant(1)->data<float>(),
              ki.node.has_input(2) ? ki.constant(2)->data<float>() : nullptr, act_) {}

  void run(KernelContext& ctx) override {
    ConvInputs in = conv_inputs(ctx);
    conv_.run(in.x, in.y, in.residual, ctx.pool);
  }

 private:
  SparseConv conv_;
};

// Whether a sparse kernel may take the layer: constant weights on fixed shapes, and the user did
// not ask for the dense kernels.
bool sparse_candidate(const KernelInfo& ki) {
  return ki.sparse_kernels && weights_constant(ki) && shape_is_static(ki.inputs[0].shape) &&
         ki.inputs[0].shape.size() == 4;
}

template <typename SparseConv>
std::unique_ptr<Kernel> make_sparse_conv(const KernelInfo& ki) {
  return std::make_unique<SparseConvKernel<SparseConv>>(ki);
}

OpDef make_conv_def(const char* type, const char* domain) {
  OpDef def;
  def.type = type;
  def.domain = domain;
  def.infer = infer_conv;
  def.flops = [](const KernelInfo& ki) {
    return conv_flops(ki.inputs[1].shape, ki.outputs[0].shape);
  };
  def.impls.push_back({"conv3d",
                       [](const KernelInfo& ki) {
                         return three_d(ki) && weights_constant(ki) &&
                                shape_is_static(ki.inputs[0].shape);
                       },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<Conv3dKernel>(ki);
                       }});
  def.impls.push_back({"depthwise",
                       [](const KernelInfo& ki) {
                         const Shape& x = ki.inputs[0].shape;
                         const int64_t group = ki.node.attr_int("group", 1);
                         return group > 1 && (x.size() == 3 || x.size() == 4) && x[1] == group;
                       },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<DepthwiseConvKernel>(ki);
                       }});
  def.impls.push_back(
      {"conv2d_pattern",
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                pattern_conv2d_pays(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape),
                                    ki.constant(1)->data<float>());
       },
       make_sparse_conv<PatternConv2d>,
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                PatternConv2d::supports(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape),
                                        ki.constant(1)->data<float>());
       }});
  def.impls.push_back(
      {"conv2d_bsr",
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                bsr_conv2d_pays(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape),
                                ki.constant(1)->data<float>());
       },
       make_sparse_conv<BsrConv2d>,
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                BsrConv2d::supports(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape));
       }});
  def.impls.push_back(
      {"conv2d_csr",
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                csr_conv2d_pays(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape),
                                ki.constant(1)->data<float>());
       },
       make_sparse_conv<CsrConv2d>,
       [](const KernelInfo& ki) {
         return sparse_candidate(ki) &&
                CsrConv2d::supports(conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape));
       }});
  def.impls.push_back(
      {"conv2d", [](const KernelInfo& ki) { return !three_d(ki) && weights_constant(ki); },
       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         return std::make_unique<PlannedConvKernel>(ki);
       },
       [](const KernelInfo& ki) {
         if (three_d(ki) || !weights_constant(ki)) return false;
         if (ki.variant.empty()) return true;
         const auto a = Conv2d::algorithm_named(ki.variant);
         return a && shape_is_static(ki.inputs[0].shape) &&
                Conv2d::supports(*a, conv_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape));
       },
       Conv2d::algorithm_names()});
  def.impls.push_back(
      {"conv2d_packed_per_run", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         return std::make_unique<RuntimeWeightsConvKernel>(ki);
       }});
  def.reference =
      KernelImpl{"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                   return std::make_unique<ReferenceConvKernel>(ki);
                 }};
  return def;
}

OpDef make_conv() {
  OpDef def = make_conv_def("Conv", "");
  def.gradient = conv_gradient;
  return def;
}
OpDef make_fused_conv() { return make_conv_def("FusedConv", "sinter"); }

}  // namespace
SINTER_REGISTER_OP(make_conv);
SINTER_REGISTER_OP(make_fused_conv);
}  // namespace sinter
