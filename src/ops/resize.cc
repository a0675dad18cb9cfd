// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): interpolation of a float32 tensor to
// new sizes, by nearest, linear or cubic sampling (ops/resize_geometry reads the node, the
// kernels/resize family computes). Upsample was folded into Resize at opset 10. Their gradient
// is sinter's ResizeGrad, the transposed resize.
#include "kernels/resize/resize.h"

#include <algorithm>

#include "ops/data_movement_util.h"
#include "ops/gradient.h"
#include "ops/resize_geometry.h"

namespace sinter {
namespace {

// The values of the inputs that decide the geometry, null where omitted or unknown.
std::vector<const Tensor*> geometry_values(const InferContext& ic) {
  std::vector<const Tensor*> values(ic.num_inputs(), nullptr);
  for (size_t i = 1; i < values.size(); ++i)
    if (ic.has_input(i)) values[i] = ic.value(i);
  return values;
}

// Whether every geometry input the node names has a known value.
bool geometry_known(const InferContext& ic, const std::vector<const Tensor*>& values) {
  for (size_t i = 1; i < values.size(); ++i)
    if (ic.has_input(i) && !values[i]) return false;
  return true;
}

void check_signature(const Node& node, const ResizeSignature& sig) {
  if (sig.upsample && sig.opset >= 10)
    throw ModelError(cat(node.describe(), ": Upsample is deprecated from opset 10 (use Resize), ",
                         "and this model is at opset ", sig.opset));
}

void infer_resize(InferContext& ic, bool upsample) {
  const ResizeSignature sig{upsample, ic.opset};
  check_signature(ic.node, sig);
  resize_options(ic.node, sig);
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32)
    throw UnsupportedError(
        cat(ic.node.describe(), ": input must be float32, got ", dtype_name(x.dtype)));
  if (!x.has_shape) {
    movement::set_output_rank_unknown(ic, 0, x.dtype);
    return;
  }
  const std::vector<const Tensor*> values = geometry_values(ic);
  if (!geometry_known(ic, values) || !shape_is_static(x.shape)) {
    ic.set_output(0, x.dtype, Shape(x.shape.size(), -1));
    return;
  }
  Shape out;
  for (const kernels::AxisGeometry& a : resize_geometry(
           ic.node, sig, x.shape, values,
           [&](const std::string& why) { throw InputError(cat(ic.node.describe(), ": ", why)); }))
    out.push_back(a.out);
  movement::require_addressable(ic, "the resized output", out, x.dtype);
  ic.set_output(0, x.dtype, out);
}

// Resize (forward) or ResizeGrad (backward, its inputs one place later behind dY). Reads the
// geometry from the run's inputs; the separable kernels plan their taps again only when the
// geometry changes, the references compute by definition every time.
class ResizeKernel final : public Kernel {
 public:
  ResizeKernel(const KernelInfo& ki, const ResizeSignature& sig, bool backward, bool reference)
      : node_(ki.node),
        sig_(sig),
        options_(resize_options(ki.node, sig)),
        backward_(backward),
        reference_(reference) {}

  void run(KernelContext& ctx) override {
    const size_t first = backward_ ? 1 : 0;  // where the forward node's inputs start
    const Tensor& from = ctx.in(0);          // x, or dY
    const Tensor& x = ctx.in(first);
    Tensor& to = ctx.out(0);  // y, or dX
    const std::vector<const Tensor*> forward_inputs(ctx.inputs.begin() + first, ctx.inputs.end());
    const std::vector<kernels::AxisGeometry> geometry = resize_geometry(
        node_, sig_, x.shape(), forward_inputs,
        [&](const std::string& why) { throw InputError(cat(node_.describe(), ": ", why)); });
    Shape out;
    for (const kernels::AxisGeometry& a : geometry) out.push_back(a.out);
    if (backward_ && from.shape() != out)
      throw InputError(cat(node_.describe(), ": dY is ", shape_str(from.shape()),
                           ", the resized shape is ", shape_str(out)));
    SINTER_CHECK(backward_ || to.shape() == out, node_.describe(), ": the output is ",
                 shape_str(to.shape()), ", the inputs ask for ", shape_str(out));
    if (to.numel() == 0) return;
    if (from.numel() == 0) {  // an empty output takes nothing from the input
      std::fill(to.data<float>(), to.data<float>() + to.numel(), 0.f);
      return;
    }
    const float* src = from.data<float>();
    float* dst = to.data<float>();
    if (reference_) {
      backward_ ? kernels::resize_backward_reference(options_, geometry, src, dst)
                : kernels::resize_reference(options_, geometry, src, dst);
      return;
    }
    if (geometry != planned_for_) {
      plan_ = kernels::plan_resize(options_, geometry);
      planned_for_ = geometry;
    }
    backward_ ? kernels::resize_backward(plan_, src, dst, scratch_, ctx.pool)
              : kernels::resize(plan_, src, dst, scratch_, ctx.pool);
  }

 private:
  Node node_;
  ResizeSignature sig_;
  kernels::ResizeOptions options_;
  bool backward_, reference_;
  std::vector<kernels::AxisGeometry> planned_for_;
  kernels::ResizePlan plan_;
  kernels::ResizeScratch scratch_;
};

// The kernels of the forward or backward op; `signature` reads the node's.
template <class Signature>
void add_kernels(OpDef& def, Signature signature, bool backward) {
  auto make = [signature, backward](bool reference) {
    return [signature, backward, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      return std::make_unique<ResizeKernel>(ki, signature(ki.node, ki.opset), backward, reference);
    };
  };
  def.impls.push_back({"separable", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
}

// dX = ResizeGrad(dY, the forward's inputs) with the forward's attributes; roi, scales and sizes
// get no gradient.
void resize_gradient(GradientContext& g) {
  for (size_t i = 1; i < g.node().inputs.size(); ++i)
    if (g.wants(i)) g.unsupported("a gradient for the roi, scales or sizes");
  std::vector<std::string> inputs{g.output_grad(0)};
  inputs.insert(inputs.end(), g.node().inputs.begin(), g.node().inputs.end());
  std::map<std::string, Attribute> attrs = g.node().attrs;
  attrs["forward"] = g.node().op_type;
  g.set_input_grad(0, g.emit_in_domain("ResizeGrad", "sinter", inputs, attrs));
}

OpDef make_resize_def(const char* type, int since_opset, bool upsample) {
  OpDef def;
  def.type = type;
  def.since_opset = since_opset;
  def.infer = [upsample](InferContext& ic) { infer_resize(ic, upsample); };
  add_kernels(
      def,
      [upsample](const Node&, int64_t opset) {
        return ResizeSignature{upsample, opset};
      },
      false);
  def.gradient = resize_gradient;
  return def;
}

OpDef make_resize() { return make_resize_def("Resize", 10, false); }
OpDef make_upsample() { return make_resize_def("Upsample", 7, true); }

// Which forward op a ResizeGrad node differentiates.
ResizeSignature grad_signature(const Node& node, int64_t opset) {
  const std::string forward = node.attr_string("forward", "");
  if (forward != "Resize" && forward != "Upsample")
    throw ModelError(cat(node.describe(), ": attribute 'forward' must be Resize or Upsample, not '",
                         forward, "'"));
  return {forward == "Upsample", opset};
}

// ResizeGrad(dY, X, roi, scales, sizes) -> dX (domain "sinter", made by resize_gradient); X is
// read for its shape only.
OpDef make_resize_grad() {
  OpDef def;
  def.type = "ResizeGrad";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    resize_options(ic.node, grad_signature(ic.node, ic.opset));
    const ValueType& dy = ic.input(0);
    const ValueType& x = ic.input(1);
    if (dy.dtype != DType::kFloat32 || x.dtype != DType::kFloat32)
      ic.fail(cat("dY and X must be float32, got ", dtype_name(dy.dtype), " and ",
                  dtype_name(x.dtype)));
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    ic.set_output(0, x.dtype, x.shape);
  };
  add_kernels(def, grad_signature, true);
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_resize);
SINTER_REGISTER_OP(make_upsample);
SINTER_REGISTER_OP(make_resize_grad);
}  // namespace sinter
