// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): interpolation of a float32 tensor to
// new sizes, by nearest, linear or cubic sampling (ops/resize_geometry reads the node, the
// kernels/resize family computes). Upsample was folded into Resize at opset 10.
#include "kernels/resize/resize.h"

#include "ops/data_movement_util.h"
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

// Reads the geometry from the run's inputs; the separable kernel plans its taps again only when
// the geometry changes, the reference computes by definition every time.
class ResizeKernel final : public Kernel {
 public:
  ResizeKernel(const KernelInfo& ki, bool upsample, bool reference)
      : node_(ki.node),
        sig_{upsample, ki.opset},
        options_(resize_options(ki.node, sig_)),
        reference_(reference) {}

  void run(KernelContext& ctx) override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    const std::vector<kernels::AxisGeometry> geometry = resize_geometry(
        node_, sig_, x.shape(), ctx.inputs,
        [&](const std::string& why) { throw InputError(cat(node_.describe(), ": ", why)); });
    for (size_t d = 0; d < geometry.size(); ++d)
      SINTER_CHECK(geometry[d].out == y.shape()[d], node_.describe(), ": output dim ", d, " is ",
                   y.shape()[d], ", the inputs ask for ", geometry[d].out);
    if (y.numel() == 0) return;
    if (reference_) {
      kernels::resize_reference(options_, geometry, x.data<float>(), y.data<float>());
      return;
    }
    if (geometry != planned_for_) {
      plan_ = kernels::plan_resize(options_, geometry);
      planned_for_ = geometry;
    }
    kernels::resize(plan_, x.data<float>(), y.data<float>(), scratch_, ctx.pool);
  }

 private:
  Node node_;
  ResizeSignature sig_;
  kernels::ResizeOptions options_;
  bool reference_;
  std::vector<kernels::AxisGeometry> planned_for_;
  kernels::ResizePlan plan_;
  kernels::ResizeScratch scratch_;
};

OpDef make_resize_def(const char* type, int since_opset, bool upsample) {
  OpDef def;
  def.type = type;
  def.since_opset = since_opset;
  def.infer = [upsample](InferContext& ic) { infer_resize(ic, upsample); };
  auto make = [upsample](bool reference) {
    return [upsample, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      return std::make_unique<ResizeKernel>(ki, upsample, reference);
    };
  };
  def.impls.push_back({"separable", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
  return def;
}

OpDef make_resize() { return make_resize_def("Resize", 10, false); }
OpDef make_upsample() { return make_resize_def("Upsample", 7, true); }

}  // namespace
SINTER_REGISTER_OP(make_resize);
SINTER_REGISTER_OP(make_upsample);
}  // namespace sinter
