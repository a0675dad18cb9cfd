// sinter.RecurrentGrad: the gradients of an LSTM, GRU or RNN (attribute 'cell'
// names it; the rest are the forward node's attributes). Inputs: the forward node's X, W, R, B,
// sequence_lens, initial_h, initial_c, P, then dL/dY, dL/dY_h, dL/dY_c (each optional);
// outputs dX, dW, dR, dB, d initial_h, d initial_c, dP, each optional.
#include "kernels/recurrent/recurrent_backward.h"
#include "ops/recurrent_op.h"

namespace sinter {
namespace {

enum GradInput { kGradY = 8, kGradYH, kGradYC };

RecurrentCell cell_of(const Node& node) {
  const std::string cell = node.attr_string("cell", "");
  if (cell == "LSTM") return RecurrentCell::kLstm;
  if (cell == "GRU") return RecurrentCell::kGru;
  if (cell == "RNN") return RecurrentCell::kRnn;
  throw ModelError(cat(node.describe(), ": cell '", cell, "' is not LSTM, GRU or RNN"));
}

void infer_recurrent_grad(InferContext& ic) {
  const RecurrentCell cell = cell_of(ic.node);
  const RecurrentAttributes a = recurrent_attributes(ic.node, ic.opset, cell);
  for (size_t i = kX; i <= kR; ++i)
    if (!ic.has_input(i) || !ic.input(i).has_shape) ic.fail("needs X, W and R with known shapes");
  const Shape& x = ic.input(kX).shape;
  const Shape& r = ic.input(kR).shape;
  const int64_t batch = x.size() == 3 ? x[a.batch_first ? 0 : 1] : -1;
  const int64_t dirs = a.directions;
  const Shape state = a.batch_first ? Shape{batch, dirs, r[2]} : Shape{dirs, batch, r[2]};
  const Shape shapes[] = {x,     ic.input(kW).shape, r, {dirs, 2 * r[1]}, state,
                          state, {dirs, 3 * r[2]}};
  for (size_t i = 0; i < ic.node.outputs.size() && i < 7; ++i)
    ic.set_output(i, DType::kFloat32, shapes[i]);
}

class RecurrentGradKernel : public Kernel {
 public:
  explicit RecurrentGradKernel(const KernelInfo& ki) : who_(ki.node.describe()) {
    const RecurrentCell cell = cell_of(ki.node);
    problem_ = recurrent_problem(recurrent_attributes(ki.node, ki.opset, cell), cell);
  }

  void run(KernelContext& ctx) override {
    const RecurrentProblem p = bound_problem(problem_, ctx, who_);
    RecurrentGradients g;
    g.dy = in_or_null(ctx, kGradY);
    g.dy_h = in_or_null(ctx, kGradYH);
    g.dy_c = in_or_null(ctx, kGradYC);
    float** outs[] = {&g.dx, &g.dw, &g.dr, &g.db, &g.d_initial_h, &g.d_initial_c, &g.dp};
    for (size_t i = 0; i < 7 && i < ctx.outputs.size(); ++i)
      if (ctx.outputs[i]) *outs[i] = ctx.outputs[i]->data<float>();
    recurrent_backward(p, g, ctx.pool);
  }

 private:
  static const float* in_or_null(const KernelContext& ctx, size_t i) {
    return ctx.has_in(i) ? ctx.in(i).data<float>() : nullptr;
  }

  std::string who_;
  RecurrentProblem problem_;
};

OpDef make_recurrent_grad() {
  OpDef def;
  def.type = "RecurrentGrad";
  def.domain = "sinter";
  def.infer = infer_recurrent_grad;
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) {
                         return std::unique_ptr<Kernel>(std::make_unique<RecurrentGradKernel>(ki));
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_recurrent_grad);
}  // namespace sinter
