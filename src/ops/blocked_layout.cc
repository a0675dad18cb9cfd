// The ops of a channel-blocked region (passes/blocked_layout.h) other than its convolutions,
// domain "sinter": ReorderToBlocked (NCHW X -> [N, Cb, H, W, 16]), ReorderFromBlocked and
// BlockedGlobalAveragePool (a blocked X -> NCHW [N, C, H, W] and [N, C, 1, 1]), BlockedMaxPool
// (MaxPool's attributes, blocked in and out). Attribute `channels` = C, which the padded blocks
// do not say.
#include "kernels/blocked/blocked_layout.h"

#include <memory>

#include "kernels/blocked/blocked_max_pool.h"
#include "ops/op_registry.h"
#include "ops/pool_params.h"

namespace sinter {

namespace {
using kernels::channel_blocks;
using kernels::kChannelBlock;

void require_float_static(const InferContext& ic, size_t rank) {
  if (ic.num_inputs() != 1) ic.fail(cat("expects 1 input, got ", ic.num_inputs()));
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32 || !x.has_shape || !shape_is_static(x.shape) ||
      x.shape.size() != rank)
    ic.fail(cat("needs a static rank-", rank, " float32 X, got ", shape_str(x.shape)));
}

// C of a blocked X, from the `channels` attribute, checked against its blocks.
int64_t blocked_channels(const InferContext& ic) {
  const Shape& x = ic.input(0).shape;
  const int64_t C = ic.node.attr_int("channels", 0);
  if (C < 1 || channel_blocks(C) != x[1] || x[4] != kChannelBlock)
    ic.fail(cat("blocked X ", shape_str(x), " does not hold channels = ", C));
  return C;
}

OpDef make_reorder_to_blocked() {
  OpDef def;
  def.type = "ReorderToBlocked";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    require_float_static(ic, 4);
    const Shape& x = ic.input(0).shape;
    ic.set_output(0, DType::kFloat32, {x[0], channel_blocks(x[1]), x[2], x[3], kChannelBlock});
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Shape& x = ctx.in(0).shape();
                           kernels::reorder_to_blocked(ctx.in(0).data<float>(), x[0], x[1],
                                                       x[2] * x[3], ctx.out(0).data<float>(),
                                                       ctx.pool);
                         });
                       }});
  return def;
}

OpDef make_reorder_from_blocked() {
  OpDef def;
  def.type = "ReorderFromBlocked";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    require_float_static(ic, 5);
    const Shape& x = ic.input(0).shape;
    ic.set_output(0, DType::kFloat32, {x[0], blocked_channels(ic), x[2], x[3]});
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Shape& y = ctx.out(0).shape();
                           kernels::reorder_from_blocked(ctx.in(0).data<float>(), y[0], y[1],
                                                         y[2] * y[3], ctx.out(0).data<float>(),
                                                         ctx.pool);
                         });
                       }});
  return def;
}

OpDef make_blocked_global_average_pool() {
  OpDef def;
  def.type = "BlockedGlobalAveragePool";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    require_float_static(ic, 5);
    const Shape& x = ic.input(0).shape;
    ic.set_output(0, DType::kFloat32, {x[0], blocked_channels(ic), 1, 1});
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Shape& x = ctx.in(0).shape();
                           kernels::global_average_pool_blocked(ctx.in(0).data<float>(), x[0],
                                                                ctx.out(0).shape()[1], x[2] * x[3],
                                                                ctx.out(0).data<float>());
                         });
                       }});
  return def;
}

// The NCHW shape a blocked X stands for.
Shape nchw_of(const Shape& x, int64_t channels) { return {x[0], channels, x[2], x[3]}; }

OpDef make_blocked_max_pool() {
  OpDef def;
  def.type = "BlockedMaxPool";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    require_float_static(ic, 5);
    const Shape& x = ic.input(0).shape;
    const kernels::Pool2dParams p = pool_params(ic.node, nchw_of(x, blocked_channels(ic)));
    ic.set_output(0, DType::kFloat32, {x[0], x[1], p.out_h(), p.out_w(), kChannelBlock});
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const kernels::Pool2dParams p = pool_params(
                             ki.node, nchw_of(ki.inputs[0].shape, ki.node.attr_int("channels", 0)));
                         return std::make_unique<FunctionKernel>([p](KernelContext& ctx) {
                           kernels::max_pool_blocked(p, ctx.in(0).data<float>(),
                                                     ctx.out(0).data<float>(), ctx.pool);
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_blocked_max_pool);
SINTER_REGISTER_OP(make_reorder_to_blocked);
SINTER_REGISTER_OP(make_reorder_from_blocked);
SINTER_REGISTER_OP(make_blocked_global_average_pool);
}  // namespace sinter
