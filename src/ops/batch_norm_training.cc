// BatchNormalization as a training step runs it, as two fused ops of domain "sinter" (made by
// make_training_graph and by autodiff):
//   BatchNormTraining(X, scale, bias, running_mean, running_var)
//     -> Y, running_mean', running_var', saved_mean, saved_inv_std
// normalizes with the batch's own statistics and moves the running ones toward them as PyTorch
// does (ONNX momentum: running' = running * momentum + batch * (1 - momentum), the variance's
// batch value unbiased). Its gradient rule emits
//   BatchNormTrainingGrad(dY, X, scale, saved_mean, saved_inv_std) -> dX, dscale, dbias
// with only the outputs that are wanted.
#include "kernels/norm/batch_norm_training.h"

#include <vector>

#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {

kernels::BatchNormDims dims_of(const Shape& x) {
  kernels::BatchNormDims d;
  d.batch = x[0];
  d.channels = x[1];
  for (size_t i = 2; i < x.size(); ++i) d.spatial *= x[i];
  return d;
}

// Five float32 inputs: X (input `x_index`) of rank >= 2 and inputs `per_channel` of shape [C].
// Output 0 has X's shape, the others [C].
void infer_channel_op(InferContext& ic, size_t x_index, const std::vector<size_t>& per_channel) {
  if (ic.num_inputs() != 5) ic.fail("expects 5 inputs");
  for (size_t i = 0; i < 5; ++i)
    if (ic.input(i).dtype != DType::kFloat32) ic.fail(cat("input ", i, " must be float32"));
  const ValueType& x = ic.input(x_index);
  if (!x.has_shape || x.shape.size() < 2) ic.fail("X needs a known shape of rank >= 2");
  const int64_t channels = x.shape[1];
  for (size_t i : per_channel) {
    const ValueType& t = ic.input(i);
    if (t.has_shape &&
        (t.shape.size() != 1 || (channels >= 0 && t.shape[0] >= 0 && t.shape[0] != channels)))
      ic.fail(cat("input ", i, " must have shape [", channels, "], got ", shape_str(t.shape)));
  }
  for (size_t i = 0; i < ic.node.outputs.size(); ++i)
    ic.set_output(i, DType::kFloat32, i == 0 ? x.shape : Shape{channels});
}

// running' = running * momentum + batch * (1 - momentum) per channel, the batch variance made
// unbiased (times M / (M - 1), M values per channel) as PyTorch's running_var is.
void update_running_stats(KernelContext& ctx, float momentum, int64_t per_channel,
                          const float* mean, const float* var) {
  const int64_t channels = ctx.in(3).numel();
  const float unbias = per_channel > 1 ? static_cast<float>(per_channel) / (per_channel - 1) : 1;
  if (ctx.outputs.size() > 1 && ctx.outputs[1]) {
    const float* running = ctx.in(3).data<float>();
    float* out = ctx.out(1).data<float>();
    for (int64_t c = 0; c < channels; ++c)
      out[c] = running[c] * momentum + mean[c] * (1 - momentum);
  }
  if (ctx.outputs.size() > 2 && ctx.outputs[2]) {
    const float* running = ctx.in(4).data<float>();
    float* out = ctx.out(2).data<float>();
    for (int64_t c = 0; c < channels; ++c)
      out[c] = running[c] * momentum + var[c] * unbias * (1 - momentum);
  }
}

// Output i's data, or `scratch` when the node leaves that output out.
float* output_or(KernelContext& ctx, size_t i, std::vector<float>& scratch) {
  return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.out(i).data<float>() : scratch.data();
}

std::unique_ptr<Kernel> make_forward_kernel(const KernelInfo& ki, bool reference) {
  const float epsilon = ki.node.attr_float("epsilon", 1e-5f);
  const float momentum = ki.node.attr_float("momentum", 0.9f);
  return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
    const kernels::BatchNormDims d = dims_of(ctx.in(0).shape());
    std::vector<float> var(d.channels), saved_mean(d.channels), saved_inv_std(d.channels);
    float* mean = output_or(ctx, 3, saved_mean);
    float* inv_std = output_or(ctx, 4, saved_inv_std);
    const float* x = ctx.in(0).data<float>();
    const float* scale = ctx.in(1).data<float>();
    const float* bias = ctx.in(2).data<float>();
    float* y = ctx.out(0).data<float>();
    if (reference) {
      kernels::batch_norm_training_forward_reference(d, x, scale, bias, epsilon, y, mean,
                                                     var.data(), inv_std);
    } else {
      kernels::batch_norm_training_forward(d, x, scale, bias, epsilon, y, mean, var.data(), inv_std,
                                           ctx.pool);
    }
    update_running_stats(ctx, momentum, d.per_channel(), mean, var.data());
  });
}

std::unique_ptr<Kernel> make_backward_kernel(bool reference) {
  return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
    const kernels::BatchNormDims d = dims_of(ctx.in(1).shape());
    auto out = [&](size_t i) {
      return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.out(i).data<float>() : nullptr;
    };
    const float* dy = ctx.in(0).data<float>();
    const float* x = ctx.in(1).data<float>();
    const float* scale = ctx.in(2).data<float>();
    const float* mean = ctx.in(3).data<float>();
    const float* inv_std = ctx.in(4).data<float>();
    if (reference) {
      kernels::batch_norm_training_backward_reference(d, dy, x, scale, mean, inv_std, out(0),
                                                      out(1), out(2));
    } else {
      kernels::batch_norm_training_backward(d, dy, x, scale, mean, inv_std, out(0), out(1), out(2),
                                            ctx.pool);
    }
  });
}

void batch_norm_training_gradient(GradientContext& g) {
  const Node& n = g.node();
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (!g.output_grad(i).empty()) g.unsupported("the running or saved statistics");
  if (n.outputs.size() < 5 || n.outputs[3].empty() || n.outputs[4].empty())
    g.unsupported("a node without its saved_mean and saved_inv_std outputs");
  // The running statistics (inputs 3 and 4) do not reach Y: they take no gradient.
  if (!g.wants(0) && !g.wants(1) && !g.wants(2)) return;
  const std::vector<std::string> grads = g.emit_outputs(
      "BatchNormTrainingGrad", "sinter",
      {g.output_grad(0), g.input(0), g.input(1), n.outputs[3], n.outputs[4]}, {},
      {g.wants(0) ? "dX" : "", g.wants(1) ? "dscale" : "", g.wants(2) ? "dbias" : ""});
  for (size_t i = 0; i < 3; ++i)
    if (!grads[i].empty()) g.set_input_grad(i, grads[i]);
}

OpDef make_batch_norm_training() {
  OpDef def;
  def.type = "BatchNormTraining";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) { infer_channel_op(ic, 0, {1, 2, 3, 4}); };
  def.impls.push_back(
      {"fused", nullptr, [](const KernelInfo& ki) { return make_forward_kernel(ki, false); }});
  def.reference = KernelImpl{"reference", nullptr,
                             [](const KernelInfo& ki) { return make_forward_kernel(ki, true); }};
  def.gradient = batch_norm_training_gradient;
  return def;
}

OpDef make_batch_norm_training_grad() {
  OpDef def;
  def.type = "BatchNormTrainingGrad";
  def.domain = "sinter";
  def.infer = [](InferContext& ic) {
    infer_channel_op(ic, 1, {2, 3, 4});
    // The kernel walks dY by X's shape.
    const ValueType& dy = ic.input(0);
    if (!dy.has_shape || dy.shape != ic.input(1).shape)
      ic.fail(cat("dY ", dy.has_shape ? shape_str(dy.shape) : std::string("of unknown shape"),
                  " does not match X ", shape_str(ic.input(1).shape)));
  };
  def.impls.push_back(
      {"fused", nullptr, [](const KernelInfo&) { return make_backward_kernel(false); }});
  def.reference = KernelImpl{"reference", nullptr,
                             [](const KernelInfo&) { return make_backward_kernel(true); }};
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_batch_norm_training);
SINTER_REGISTER_OP(make_batch_norm_training_grad);
}  // namespace sinter
