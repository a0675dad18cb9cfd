#include "ops/recurrent_op.h"

#include <memory>
#include <optional>

#include "ops/gradient.h"

namespace sinter {
namespace {

constexpr const char* kInputNames[] = {"X",         "W",         "R", "B", "sequence_lens",
                                       "initial_h", "initial_c", "P"};

std::vector<std::string> default_activation_names(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::kLstm:
      return {"Sigmoid", "Tanh", "Tanh"};
    case RecurrentCell::kGru:
      return {"Sigmoid", "Tanh"};
    case RecurrentCell::kRnn:
      return {"Tanh"};
  }
  return {};
}

// The activations of every direction; alpha and beta values are taken in order by the
// functions that use them, the defaults of their ONNX operators where the lists run out.
std::vector<RecurrentActivation> parse_activations(const Node& node, RecurrentCell cell,
                                                   int directions) {
  const auto fail = [&](const std::string& what) {
    throw ModelError(cat(node.describe(), ": ", what));
  };
  std::vector<std::string> names;
  if (node.has_attr("activations")) {
    const auto* given = std::get_if<std::vector<std::string>>(&node.attrs.at("activations"));
    if (!given) fail("attribute 'activations' must be a list of strings");
    names = *given;
    const size_t want = static_cast<size_t>(recurrent_activations(cell) * directions);
    if (names.size() != want)
      fail(cat("attribute 'activations' lists ", names.size(), " functions where ", want,
               " belong (", recurrent_activations(cell), " per direction, ", directions,
               directions == 1 ? " direction)" : " directions)"));
  } else {
    for (int d = 0; d < directions; ++d)
      for (const std::string& n : default_activation_names(cell)) names.push_back(n);
  }
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<RecurrentActivation> activations;
  for (const std::string& name : names) {
    const auto kind = recurrent_activation_kind(name);
    if (!kind)
      fail(cat("activation '", name,
               "' is not one of Sigmoid, Tanh, Relu, HardSigmoid, LeakyRelu, ThresholdedRelu, "
               "ScaledTanh, Affine, Elu, Softsign, Softplus"));
    RecurrentActivation a = default_recurrent_activation(*kind);
    const int parameters = recurrent_activation_parameters(*kind);
    if (parameters >= 1 && next_alpha < alphas.size()) a.alpha = alphas[next_alpha++];
    if (parameters >= 2 && next_beta < betas.size()) a.beta = betas[next_beta++];
    activations.push_back(a);
  }
  return activations;
}

// Checks an input's shape against `want` (-1: any); the message says what the dims mean.
void expect_shape(const InferContext& ic, RecurrentInput input, const Shape& want,
                  const char* meaning) {
  if (!ic.has_input(input)) return;
  const ValueType& got = ic.input(input);
  if (!got.has_shape) return;
  bool agrees = got.shape.size() == want.size();
  for (size_t i = 0; agrees && i < want.size(); ++i)
    agrees = want[i] < 0 || got.shape[i] < 0 || got.shape[i] == want[i];
  if (!agrees)
    ic.fail(cat("input '", kInputNames[input], "' has shape ", shape_str(got.shape), "; expected ",
                shape_str(want), " ", meaning));
}

bool needs_float(RecurrentInput input) { return input != kSequenceLens; }

void infer_recurrent(InferContext& ic, RecurrentCell cell) {
  const RecurrentAttributes a = recurrent_attributes(ic.node, ic.opset, cell);
  const bool lstm = cell == RecurrentCell::kLstm;
  const size_t input_count = lstm ? 8 : 6;
  if (ic.node.inputs.size() > input_count)
    ic.fail(cat("has ", ic.node.inputs.size(), " inputs; the op takes at most ", input_count));
  for (int i = kX; i <= kR; ++i)
    if (!ic.has_input(i)) ic.fail(cat("input '", kInputNames[i], "' is required"));
  for (size_t i = 0; i < ic.node.inputs.size(); ++i) {
    if (!ic.has_input(i)) continue;
    const DType want = needs_float(RecurrentInput(i)) ? DType::kFloat32 : DType::kInt32;
    const DType got = ic.input(i).dtype;
    if (got == want) continue;
    const std::string what = cat("input '", kInputNames[i], "' is ", dtype_name(got),
                                 "; sinter runs ", dtype_name(want));
    if (i == kX) throw UnsupportedError(cat(ic.node.describe(), ": ", what));
    ic.fail(what);
  }
  const ValueType& x = ic.input(kX);
  int64_t seq = -1, batch = -1, input_size = -1;
  if (x.has_shape) {
    if (x.shape.size() != 3)
      ic.fail(cat("input 'X' must have rank 3, not shape ", shape_str(x.shape)));
    seq = x.shape[a.batch_first ? 1 : 0];
    batch = x.shape[a.batch_first ? 0 : 1];
    input_size = x.shape[2];
  }
  int64_t hidden = a.hidden_size;
  const ValueType& r = ic.input(kR);
  if (hidden < 0 && r.has_shape && r.shape.size() == 3) hidden = r.shape[2];
  if (hidden == 0) ic.fail("input 'R' has shape " + shape_str(r.shape) + ": hidden_size 0");
  // Bounded as the attribute is, so that the gate rows below cannot overflow.
  if (hidden > kMaxWindowAttribute)
    ic.fail(cat("input 'R' has shape ", shape_str(r.shape), ": hidden_size ", hidden,
                " is out of range [1, ", kMaxWindowAttribute, "]"));
  const int64_t dirs = a.directions;
  const int64_t gate_rows = hidden < 0 ? -1 : recurrent_gates(cell) * hidden;
  const std::string sizes =
      cat("for ", dirs, dirs == 1 ? " direction" : " directions", ", hidden_size ", hidden, " and ",
          recurrent_gates(cell), recurrent_gates(cell) == 1 ? " gate" : " gates");
  expect_shape(ic, kW, {dirs, gate_rows, input_size}, sizes.c_str());
  expect_shape(ic, kR, {dirs, gate_rows, hidden}, sizes.c_str());
  expect_shape(ic, kB, {dirs, gate_rows < 0 ? -1 : 2 * gate_rows}, sizes.c_str());
  expect_shape(ic, kSequenceLens, {batch}, "(one length per batch row)");
  const Shape state = a.batch_first ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
  const char* state_meaning = a.batch_first ? "[batch, num_directions, hidden_size]"
                                            : "[num_directions, batch, hidden_size]";
  expect_shape(ic, kInitialH, state, state_meaning);
  if (lstm) {
    expect_shape(ic, kInitialC, state, state_meaning);
    expect_shape(ic, kPeepholes, {dirs, hidden < 0 ? -1 : 3 * hidden}, sizes.c_str());
  }
  const size_t outputs = ic.node.outputs.size(), most = lstm ? 3 : 2;
  if (outputs > most) ic.fail(cat("has ", outputs, " outputs; the op makes at most ", most));
  if (outputs > 0)
    ic.set_output(
        0, DType::kFloat32,
        a.batch_first ? Shape{batch, seq, dirs, hidden} : Shape{seq, dirs, batch, hidden});
  for (size_t i = 1; i < outputs; ++i) ic.set_output(i, DType::kFloat32, state);
}

class RecurrentKernel : public Kernel {
 public:
  RecurrentKernel(const KernelInfo& ki, RecurrentCell cell, bool reference)
      : who_(ki.node.describe()), reference_(reference) {
    problem_ = recurrent_problem(recurrent_attributes(ki.node, ki.opset, cell), cell);
    // A constant R (a trained model's weights) is packed once for every run.
    if (const Tensor* r = ki.constant(kR); r && !reference_) {
      RecurrentProblem shape = problem_;
      shape.hidden_size = r->shape()[2];
      shape.r = r->data<float>();
      packed_r_ = pack_recurrent_weights(shape);
    }
  }

  void run(KernelContext& ctx) override {
    RecurrentProblem p = bound_problem(problem_, ctx, who_);
    p.y = optional_output(ctx, 0);
    p.y_h = optional_output(ctx, 1);
    if (p.cell == RecurrentCell::kLstm) p.y_c = optional_output(ctx, 2);
    if (reference_)
      recurrent_reference(p);
    else
      recurrent_gemm(p, ctx.pool, packed_r_ ? &*packed_r_ : nullptr);
  }

 private:
  static float* optional_output(KernelContext& ctx, size_t i) {
    return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.outputs[i]->data<float>() : nullptr;
  }

  std::string who_;
  bool reference_;
  RecurrentProblem problem_;
  std::optional<PackedRecurrentWeights> packed_r_;
};

// dL/d(inputs) from one sinter.RecurrentGrad node, which replays the forward pass and walks
// it back (kernels/recurrent/recurrent_backward).
void recurrent_gradient(GradientContext& g, RecurrentCell cell) {
  const Node& n = g.node();
  const auto input_or_empty = [&](size_t i) { return n.has_input(i) ? g.input(i) : std::string(); };
  const auto grad_or_empty = [&](size_t i) {
    return i < n.outputs.size() && !n.outputs[i].empty() ? g.output_grad(i) : std::string();
  };
  std::vector<std::string> inputs;
  for (size_t i = kX; i <= kPeepholes; ++i) inputs.push_back(input_or_empty(i));
  for (size_t i = 0; i < 3; ++i) inputs.push_back(grad_or_empty(i));
  std::map<std::string, Attribute> attrs = n.attrs;
  attrs["cell"] = n.op_type;
  // Outputs dX, dW, dR, dB, d initial_h, d initial_c, dP for inputs 0-3 and 5-7.
  const size_t sources[] = {kX, kW, kR, kB, kInitialH, kInitialC, kPeepholes};
  const char* labels[] = {"dX", "dW", "dR", "dB", "dinitial_h", "dinitial_c", "dP"};
  std::vector<std::string> wanted;
  for (size_t k = 0; k < 7; ++k)
    wanted.push_back(n.has_input(sources[k]) && g.wants(sources[k]) ? labels[k] : "");
  const std::vector<std::string> grads =
      g.emit_outputs("RecurrentGrad", "sinter", inputs, attrs, wanted);
  for (size_t k = 0; k < 7; ++k)
    if (!grads[k].empty()) g.set_input_grad(sources[k], grads[k]);
}

}  // namespace

RecurrentAttributes recurrent_attributes(const Node& node, int64_t opset, RecurrentCell cell) {
  const auto fail = [&](const std::string& what) {
    throw ModelError(cat(node.describe(), ": ", what));
  };
  RecurrentAttributes a;
  const std::string direction = node.attr_string("direction", "forward");
  if (direction == "bidirectional")
    a.directions = 2;
  else if (direction == "reverse")
    a.reverse = true;
  else if (direction != "forward")
    fail(cat("direction '", direction, "' is not forward, reverse or bidirectional"));
  // Bounded so that gates × hidden_size and the shapes built from it cannot overflow.
  if (node.has_attr("hidden_size"))
    a.hidden_size = node.attr_int_in("hidden_size", 0, 1, kMaxWindowAttribute);
  if (node.has_attr("clip")) {
    a.clip = node.attr_float("clip", 0.0f);
    if (!(a.clip > 0.0f)) fail(cat("clip = ", a.clip, " must be positive"));
  }
  if (cell == RecurrentCell::kLstm) a.input_forget = node.attr_int_in("input_forget", 0, 0, 1);
  if (cell == RecurrentCell::kGru)
    a.linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  if (opset >= 14) a.batch_first = node.attr_int_in("layout", 0, 0, 1) == 1;
  a.activations = parse_activations(node, cell, a.directions);
  return a;
}

RecurrentProblem recurrent_problem(const RecurrentAttributes& a, RecurrentCell cell) {
  RecurrentProblem p;
  p.cell = cell;
  p.directions = a.directions;
  p.reverse = a.reverse;
  p.batch_first = a.batch_first;
  p.clip = a.clip;
  p.input_forget = a.input_forget;
  p.linear_before_reset = a.linear_before_reset;
  p.activations = a.activations;
  return p;
}

RecurrentProblem bound_problem(const RecurrentProblem& base, const KernelContext& ctx,
                               const std::string& who) {
  auto optional_input = [&](RecurrentInput i) {
    return ctx.has_in(i) ? ctx.in(i).data<float>() : nullptr;
  };
  RecurrentProblem p = base;
  const Shape& x = ctx.in(kX).shape();
  p.seq_length = x[p.batch_first ? 1 : 0];
  p.batch = x[p.batch_first ? 0 : 1];
  p.input_size = x[2];
  p.hidden_size = ctx.in(kR).shape()[2];
  p.x = ctx.in(kX).data<float>();
  p.w = ctx.in(kW).data<float>();
  p.r = ctx.in(kR).data<float>();
  p.bias = optional_input(kB);
  p.initial_h = optional_input(kInitialH);
  if (p.cell == RecurrentCell::kLstm) {
    p.initial_c = optional_input(kInitialC);
    p.peepholes = optional_input(kPeepholes);
  }
  if (ctx.has_in(kSequenceLens)) {
    p.lengths = ctx.in(kSequenceLens).data<int32_t>();
    check_sequence_lengths(who, p);
  }
  return p;
}

void check_sequence_lengths(const std::string& who, const RecurrentProblem& p) {
  for (int64_t b = 0; b < p.batch; ++b)
    if (p.lengths[b] < 0 || p.lengths[b] > p.seq_length)
      throw InputError(cat(who, ": sequence_lens[", b, "] = ", p.lengths[b], " lies outside [0, ",
                           p.seq_length, "], the sequence's length"));
}

OpDef make_recurrent_def(const char* type, RecurrentCell cell) {
  OpDef def;
  def.type = type;
  def.since_opset = 7;
  def.infer = [cell](InferContext& ic) { infer_recurrent(ic, cell); };
  def.flops = [cell](const KernelInfo& ki) {
    const Shape& x = ki.inputs[kX].shape;
    const Shape& r = ki.inputs[kR].shape;
    // Every step of every direction multiplies X by W and H by R once.
    return 2.0 * x[0] * x[1] * r[0] * r[1] * static_cast<double>(x[2] + r[2]);
  };
  def.gradient = [cell](GradientContext& g) { recurrent_gradient(g, cell); };
  def.impls.push_back({"recurrent_gemm", nullptr, [cell](const KernelInfo& ki) {
                         return std::unique_ptr<Kernel>(
                             std::make_unique<RecurrentKernel>(ki, cell, false));
                       }});
  def.reference = KernelImpl{
      "reference", nullptr, [cell](const KernelInfo& ki) {
        return std::unique_ptr<Kernel>(std::make_unique<RecurrentKernel>(ki, cell, true));
      }};
  return def;
}

}  // namespace sinter
