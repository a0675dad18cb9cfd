// The gradient ops of Conv (domain "sinter", made by autodiff): ConvGradData(dY, W) -> dX and
// ConvGradWeight(X, dY) -> dW. They carry the forward Conv's attributes plus the shape of what
// they produce (`x_shape` / `w_shape`), so that the forward geometry is rebuilt exactly.
#include "core/thread_pool.h"
#include "kernels/conv/conv2d_backward.h"
#include "ops/conv_common.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {

void conv_gradient(GradientContext& g) {
  const Node& n = g.node();
  if (n.inputs.size() > 3) g.unsupported("a fused residual input");
  if (g.input_type(0).shape.size() == 5) g.unsupported("3-D convolution");
  const Shape& x = g.input_type(0).shape;
  const Shape& w = g.input_type(1).shape;
  const std::string& dy = g.output_grad(0);
  auto attrs_with = [&](const char* key, const Shape& shape) {
    std::map<std::string, Attribute> attrs = n.attrs;
    attrs[key] = std::vector<int64_t>(shape.begin(), shape.end());
    return attrs;
  };
  if (g.wants(0))
    g.set_input_grad(
        0, g.emit_in_domain("ConvGradData", "sinter", {dy, g.input(1)}, attrs_with("x_shape", x)));
  if (g.wants(1))
    g.set_input_grad(1, g.emit_in_domain("ConvGradWeight", "sinter", {g.input(0), dy},
                                         attrs_with("w_shape", w)));
  if (n.inputs.size() > 2 && g.wants(2)) {
    std::vector<int64_t> axes = {0};
    for (size_t i = 2; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    g.set_input_grad(2, g.emit("ReduceSum",
                               {dy, g.constant(Tensor::from_vector<int64_t>(
                                        {static_cast<int64_t>(axes.size())}, axes))},
                               {{"keepdims", int64_t{0}}}));
  }
}

namespace {

// The forward geometry: ConvGradData makes X (W is input 1); ConvGradWeight makes W (X is
// input 0).
Conv2dShape grad_shape(const KernelInfo& ki, const char* shape_attr, bool data) {
  const std::vector<int64_t> attr = ki.node.attr_ints(shape_attr);
  const Shape produced(attr.begin(), attr.end());
  return data ? conv_shape(ki.node, produced, ki.inputs[1].shape)
              : conv_shape(ki.node, ki.inputs[0].shape, produced);
}

// Planned once; the weights (dX) arrive with every run.
class ConvGradDataKernel : public Kernel {
 public:
  explicit ConvGradDataKernel(const Conv2dShape& s) : plan_(s) {}
  void run(KernelContext& ctx) override {
    plan_.run(ctx.in(0).data<float>(), ctx.in(1).data<float>(), ctx.out(0).data<float>(), ctx.pool);
  }
  const char* variant() const override {
    return Conv2dBackwardData::algorithm_name(plan_.algorithm());
  }

 private:
  Conv2dBackwardData plan_;
};

class ConvGradWeightKernel : public Kernel {
 public:
  explicit ConvGradWeightKernel(const Conv2dShape& s) : plan_(s) {}
  void run(KernelContext& ctx) override {
    plan_.run(ctx.in(0).data<float>(), ctx.in(1).data<float>(), ctx.out(0).data<float>(), ctx.pool);
  }
  const char* variant() const override {
    return plan_.algorithm() == Conv2dBackwardWeight::Algorithm::kTapRowsDot ? "tap_rows_dot"
                                                                             : "channels_last_gemm";
  }

 private:
  Conv2dBackwardWeight plan_;
};

// What both ops share: float32 inputs, the produced shape from an attribute.
OpDef make_conv_grad(const char* type, const char* shape_attr, bool data) {
  OpDef def;
  def.type = type;
  def.domain = "sinter";
  def.infer = [shape_attr, data](InferContext& ic) {
    if (ic.num_inputs() != 2) ic.fail("expects 2 inputs");
    for (size_t i = 0; i < 2; ++i)
      if (ic.input(i).dtype != DType::kFloat32) ic.fail(cat("input ", i, " must be float32"));
    const std::vector<int64_t> attr = ic.node.attr_ints(shape_attr);
    const Shape shape(attr.begin(), attr.end());
    if (shape.size() < 3 || shape.size() > 4 || !shape_is_static(shape))
      ic.fail(cat("attribute '", shape_attr, "' = ", shape_str(shape),
                  " must be a static shape of rank 3 or 4"));
    // dY must be exactly what the forward Conv of these shapes produced: the kernels index by it.
    const Shape& x = data ? shape : ic.input(0).shape;
    const Shape& w = data ? ic.input(1).shape : shape;
    const Shape& dy = ic.input(data ? 0 : 1).shape;
    if (x.size() != w.size() || dy.size() != x.size() || !shape_is_static(x) ||
        !shape_is_static(w) || !shape_is_static(dy))
      ic.fail("X, W and dY need static shapes of one rank");
    const Conv2dShape s = conv_shape(ic.node, x, w);
    try {
      s.validate();
    } catch (const Error& e) {
      ic.fail(e.what());
    }
    const Shape want = x.size() == 3 ? Shape{s.N, s.M, s.OW()} : Shape{s.N, s.M, s.OH(), s.OW()};
    // validate() checked that group divides C; dividing cannot overflow where w[1] * group could.
    if (dy != want || w[1] != s.C / s.group)
      ic.fail(cat("dY ", shape_str(dy), " does not match a Conv of X ", shape_str(x), " and W ",
                  shape_str(w)));
    ic.set_output(0, DType::kFloat32, shape);
  };
  // Both count the forward convolution's flops: each gradient does as many multiply-adds.
  def.flops = [data](const KernelInfo& ki) {
    const Shape& w = data ? ki.inputs[1].shape : ki.outputs[0].shape;
    const Shape& dy = ki.inputs[data ? 0 : 1].shape;
    double per_output = 2.0 * w[1];
    for (size_t i = 2; i < w.size(); ++i) per_output *= w[i];
    return per_output * shape_numel(dy);
  };
  def.impls.push_back({"conv2d_backward", nullptr,
                       [data, shape_attr](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const Conv2dShape s = grad_shape(ki, shape_attr, data);
                         if (data) return std::make_unique<ConvGradDataKernel>(s);
                         return std::make_unique<ConvGradWeightKernel>(s);
                       }});
  def.reference = KernelImpl{
      "reference", nullptr, [data, shape_attr](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
        const Conv2dShape s = grad_shape(ki, shape_attr, data);
        return std::make_unique<FunctionKernel>([s, data](KernelContext& ctx) {
          const float* a = ctx.in(0).data<float>();
          const float* b = ctx.in(1).data<float>();
          float* out = ctx.out(0).data<float>();
          data ? conv2d_backward_data_reference(s, a, b, out)
               : conv2d_backward_weight_reference(s, a, b, out);
        });
      }};
  return def;
}

OpDef make_conv_grad_data() { return make_conv_grad("ConvGradData", "x_shape", true); }
OpDef make_conv_grad_weight() { return make_conv_grad("ConvGradWeight", "w_shape", false); }

}  // namespace
SINTER_REGISTER_OP(make_conv_grad_data);
SINTER_REGISTER_OP(make_conv_grad_weight);
}  // namespace sinter
