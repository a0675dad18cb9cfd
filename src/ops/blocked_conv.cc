// sinter::BlockedConv: a Conv whose output is channel-blocked (kernels/blocked/blocked_layout.h),
// made by the blocked-layout pass (passes/blocked_layout.h). Inputs X, W, B, Z and attributes as
// FusedConv's, plus `input_blocked` (1: X is [N, Cb, H, W, 16]; 0: X is NCHW). Y and Z are
// [N, Mb, OH, OW, 16]. W and B must be constant: they are packed when the plan is made.
#include <memory>

#include "kernels/blocked/blocked_conv2d.h"
#include "ops/conv_common.h"
#include "ops/fused_activation.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {
using kernels::channel_blocks;
using kernels::kChannelBlock;

bool input_blocked(const Node& node) { return node.attr_int("input_blocked", 0) != 0; }

// X's shape as NCHW: a blocked X holds W's input channels (times the groups) in its blocks.
Shape logical_input(const Node& node, const Shape& x, const Shape& w) {
  if (!input_blocked(node)) return x;
  return {x[0], w[1] * node.attr_int("group", 1), x[2], x[3]};
}

void infer_blocked_conv(InferContext& ic) {
  if (ic.num_inputs() < 2 || ic.num_inputs() > 4)
    ic.fail(cat("expects 2 to 4 inputs, got ", ic.num_inputs()));
  fused_activation(ic.node);
  const ValueType& x = ic.input(0);
  const ValueType& w = ic.input(1);
  for (size_t i = 0; i < ic.num_inputs(); ++i)
    if (ic.has_input(i) && ic.input(i).dtype != DType::kFloat32)
      ic.fail(cat("input ", i, " must be float32, got ", dtype_name(ic.input(i).dtype)));
  const size_t rank = input_blocked(ic.node) ? 5 : 4;
  if (!x.has_shape || !w.has_shape || !shape_is_static(x.shape) || !shape_is_static(w.shape) ||
      x.shape.size() != rank || w.shape.size() != 4)
    ic.fail(cat("needs a static rank-", rank, " X and rank-4 W, got ", shape_str(x.shape), " and ",
                shape_str(w.shape)));
  const Shape nchw = logical_input(ic.node, x.shape, w.shape);
  if (rank == 5 && (x.shape[1] != channel_blocks(nchw[1]) || x.shape[4] != kChannelBlock))
    ic.fail(cat("blocked X ", shape_str(x.shape), " does not hold ", nchw[1], " channels"));
  const Conv2dShape s = conv_shape(ic.node, nchw, w.shape);
  s.validate();
  if (!BlockedConv2d::supports(s)) ic.fail(cat("group ", s.group, " is neither 1 nor depthwise"));
  const Shape y = {s.N, channel_blocks(s.M), s.OH(), s.OW(), kChannelBlock};
  if (ic.has_input(3) && (!ic.input(3).has_shape || ic.input(3).shape != y))
    ic.fail(cat("residual Z must have the blocked output shape ", shape_str(y)));
  ic.set_output(0, DType::kFloat32, y);
}

class BlockedConvKernel : public Kernel {
 public:
  explicit BlockedConvKernel(const KernelInfo& ki)
      : conv_(conv_shape(ki.node, logical_input(ki.node, ki.inputs[0].shape, ki.inputs[1].shape),
                         ki.inputs[1].shape),
              input_blocked(ki.node), ki.constant(1)->data<float>(),
              ki.node.has_input(2) ? ki.constant(2)->data<float>() : nullptr,
              fused_activation(ki.node)) {}

  void run(KernelContext& ctx) override {
    conv_.run(ctx.in(0).data<float>(), ctx.out(0).data<float>(),
              ctx.has_in(3) ? ctx.in(3).data<float>() : nullptr, ctx.pool);
  }

  const char* variant() const override {
    switch (conv_.algorithm()) {
      case BlockedConv2d::Algorithm::kPointwise:
        return "blocked_1x1";
      case BlockedConv2d::Algorithm::kDepthwise:
        return "blocked_depthwise";
      case BlockedConv2d::Algorithm::kDirect:
        return "blocked_direct";
    }
    return nullptr;
  }

 private:
  BlockedConv2d conv_;
};

OpDef make_blocked_conv() {
  OpDef def;
  def.type = "BlockedConv";
  def.domain = "sinter";
  def.infer = infer_blocked_conv;
  def.flops = [](const KernelInfo& ki) {
    const Shape& w = ki.inputs[1].shape;
    const Shape& y = ki.outputs[0].shape;
    return 2.0 * w[1] * w[2] * w[3] * y[0] * w[0] * y[2] * y[3];
  };
  def.impls.push_back(
      {"blocked_conv", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         if (!ki.constant(1) || (ki.node.has_input(2) && !ki.constant(2)))
           throw ModelError(cat(ki.node.describe(), ": W and B must be constant"));
         return std::make_unique<BlockedConvKernel>(ki);
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_blocked_conv);
}  // namespace sinter
