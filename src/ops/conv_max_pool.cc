// sinter::ConvMaxPool (conv_max_pool.h). Implementations: the fused direct kernel
// (kernels/conv/conv2d_direct_max_pool.h) for the image stems it serves, else the convolution into
// a buffer and the pool after it; the reference oracle does the same with the plain loops.
#include "ops/conv_max_pool.h"

#include <memory>
#include <vector>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_direct_max_pool.h"
#include "kernels/pool/pool2d.h"
#include "ops/conv_common.h"
#include "ops/fused_activation.h"
#include "ops/op_registry.h"
#include "ops/pool_params.h"

namespace sinter {

Node conv_part(const Node& fused) {
  Node conv = fused;
  conv.op_type = "FusedConv";
  conv.domain = "sinter";
  const std::string prefix = kPoolAttributePrefix;
  for (auto it = conv.attrs.begin(); it != conv.attrs.end();)
    it = it->first.rfind(prefix, 0) == 0 ? conv.attrs.erase(it) : std::next(it);
  return conv;
}

Node pool_part(const Node& fused) {
  Node pool;
  // Its errors then name the node the file holds, not a MaxPool it does not.
  pool.name = fused.name + " (ConvMaxPool's pool)";
  pool.op_type = "MaxPool";
  pool.inputs = {fused.name + "/conv"};
  pool.outputs = fused.outputs;
  const std::string prefix = kPoolAttributePrefix;
  for (const auto& [key, value] : fused.attrs)
    if (key.rfind(prefix, 0) == 0) pool.attrs[key.substr(prefix.size())] = value;
  return pool;
}

namespace {

// Both halves' own shape inference, the pool's on the convolution's output.
void infer_conv_max_pool(InferContext& ic) {
  if (ic.num_inputs() > 3) ic.fail(cat("expects 2 or 3 inputs, got ", ic.num_inputs()));
  if (ic.input(0).has_shape && ic.input(0).shape.size() != 4)
    ic.fail(cat("X must be [N, C, H, W], got ", shape_str(ic.input(0).shape)));
  const Node conv = conv_part(ic.node), pool = pool_part(ic.node);
  InferContext c{conv, ic.opset, ic.inputs, ic.values, {}, {}};
  op_for(conv, ic.opset).infer(c);
  InferContext p{pool, ic.opset, {c.output(0)}, {nullptr}, {}, {}};
  op_for(pool, ic.opset).infer(p);
  ic.output(0) = p.output(0);
}

struct Halves {
  Conv2dShape conv;
  kernels::Pool2dParams pool;
};

Halves halves(const Node& node, const Shape& x, const Shape& w) {
  Halves h;
  h.conv = conv_shape(node, x, w);
  h.pool = pool_params(pool_part(node), {h.conv.N, h.conv.M, h.conv.OH(), h.conv.OW()});
  return h;
}

bool direct_applies(const KernelInfo& ki) {
  const Shape& x = ki.inputs[0].shape;
  if (!ki.constant(1) || (ki.node.has_input(2) && !ki.constant(2)) || !shape_is_static(x) ||
      x.size() != 4)
    return false;
  const Halves h = halves(ki.node, x, ki.inputs[1].shape);
  return Conv2dDirectMaxPool::supports(h.conv, h.pool);
}

class DirectKernel : public Kernel {
 public:
  explicit DirectKernel(const KernelInfo& ki) : act_(fused_activation(ki.node)), kernel_(make(ki)) {
    if (ki.node.has_input(2)) {
      const Tensor& b = *ki.constant(2);
      bias_.assign(b.data<float>(), b.data<float>() + b.numel());
    }
  }
  void run(KernelContext& ctx) override {
    kernel_.run(ctx.in(0).data<float>(), ctx.out(0).data<float>(),
                bias_.empty() ? nullptr : bias_.data(), act_, ctx.pool);
  }
  const char* variant() const override { return "direct_max_pool"; }

 private:
  static Conv2dDirectMaxPool make(const KernelInfo& ki) {
    const Halves h = halves(ki.node, ki.inputs[0].shape, ki.inputs[1].shape);
    return Conv2dDirectMaxPool(h.conv, ki.constant(1)->data<float>(), h.pool);
  }

  Activation act_;
  Conv2dDirectMaxPool kernel_;
  std::vector<float> bias_;
};

// The convolution into a buffer, then the pool: any shape, weights constant or not. Only for
// nodes the fusion pass would not make (a file may hold any): the conv is planned on every run.
class TwoStepKernel : public Kernel {
 public:
  TwoStepKernel(const KernelInfo& ki, bool reference)
      : node_(ki.node), act_(fused_activation(ki.node)), reference_(reference) {}
  void run(KernelContext& ctx) override {
    const Halves h = halves(node_, ctx.in(0).shape(), ctx.in(1).shape());
    // A tensor, so that the memory limit counts it like the value it replaces.
    Tensor conv_out(DType::kFloat32, {h.conv.N, h.conv.M, h.conv.OH(), h.conv.OW()});
    const float* x = ctx.in(0).data<float>();
    const float* w = ctx.in(1).data<float>();
    const float* b = ctx.has_in(2) ? ctx.in(2).data<float>() : nullptr;
    float* y = ctx.out(0).data<float>();
    if (reference_) {
      conv2d_reference(h.conv, x, w, b, nullptr, act_, conv_out.data<float>());
      kernels::max_pool2d_reference(h.pool, conv_out.data<float>(), y);
    } else {
      Conv2d(h.conv, w, b, act_).run(x, conv_out.data<float>(), nullptr, ctx.pool);
      kernels::max_pool2d(h.pool, conv_out.data<float>(), y, ctx.pool);
    }
  }

 private:
  Node node_;
  Activation act_;
  bool reference_;
};

OpDef make_conv_max_pool() {
  OpDef def;
  def.type = "ConvMaxPool";
  def.domain = "sinter";
  def.infer = infer_conv_max_pool;
  def.flops = [](const KernelInfo& ki) {
    const Shape& x = ki.inputs[0].shape;
    const Shape& w = ki.inputs[1].shape;
    if (x.size() != 4 || !shape_is_static(x)) return 0.0;
    const Halves h = halves(ki.node, x, w);
    const double conv = 2.0 * static_cast<double>(w[1] * w[2] * w[3]) *
                        static_cast<double>(h.conv.N * h.conv.M * h.conv.OH() * h.conv.OW());
    return conv + static_cast<double>(h.pool.kernel_h * h.pool.kernel_w) *
                      static_cast<double>(shape_numel(ki.outputs[0].shape));
  };
  def.impls.push_back({"conv2d_direct_max_pool", direct_applies,
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<DirectKernel>(ki);
                       }});
  def.impls.push_back(
      {"conv2d_then_max_pool", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         return std::make_unique<TwoStepKernel>(ki, false);
       }});
  def.reference =
      KernelImpl{"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                   return std::make_unique<TwoStepKernel>(ki, true);
                 }};
  return def;
}

}  // namespace

SINTER_REGISTER_OP(make_conv_max_pool);

}  // namespace sinter
