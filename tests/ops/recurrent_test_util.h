#pragma once
// Shared by the LSTM, GRU and RNN tests: a layer described by its sizes and options, built as a
// node with random inputs, and run through one named kernel with every output collected.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/recurrent/recurrent_problem.h"
#include "math_op_test_util.h"

namespace sinter::testing {

struct RecurrentCase {
  RecurrentCell cell = RecurrentCell::kLstm;
  int64_t seq = 3, batch = 2, input = 3, hidden = 4;
  std::string direction = "forward";
  int64_t layout = 0;
  bool bias = true, lengths = false, initial_h = false, initial_c = false, peepholes = false;
  float clip = 0.0f;
  bool input_forget = false, linear_before_reset = false;
  std::vector<std::string> activations;  // empty: the defaults
  std::vector<float> alphas, betas;
  std::vector<bool> outputs = {true, true, true};  // Y, Y_h, Y_c (LSTM) wanted
  uint32_t seed = 1;

  const char* op() const {
    return cell == RecurrentCell::kLstm ? "LSTM" : cell == RecurrentCell::kGru ? "GRU" : "RNN";
  }
  int64_t dirs() const { return direction == "bidirectional" ? 2 : 1; }
  int64_t gate_rows() const { return recurrent_gates(cell) * hidden; }
  size_t output_count() const { return cell == RecurrentCell::kLstm ? 3 : 2; }

  Node node() const {
    Node n;
    n.name = "node_under_test";
    n.op_type = op();
    n.attrs["hidden_size"] = hidden;
    n.attrs["direction"] = direction;
    if (layout) n.attrs["layout"] = layout;
    if (clip > 0) n.attrs["clip"] = clip;
    if (input_forget) n.attrs["input_forget"] = int64_t{1};
    if (linear_before_reset) n.attrs["linear_before_reset"] = int64_t{1};
    if (!activations.empty()) n.attrs["activations"] = activations;
    if (!alphas.empty()) n.attrs["activation_alpha"] = alphas;
    if (!betas.empty()) n.attrs["activation_beta"] = betas;
    const std::vector<bool> present = {true,    true,      true,      bias,
                                       lengths, initial_h, initial_c, peepholes};
    const size_t inputs = cell == RecurrentCell::kLstm ? 8 : 6;
    for (size_t i = 0; i < inputs; ++i)
      n.inputs.push_back(present[i] ? "in" + std::to_string(i) : "");
    for (size_t i = 0; i < output_count(); ++i)
      n.outputs.push_back(outputs[i] ? "out" + std::to_string(i) : "");
    return n;
  }

  // Random inputs in the node's order (empty tensors where an input is absent); lengths in
  // [0, seq] with at least one full row.
  std::vector<Tensor> inputs() const {
    const Shape state = layout ? Shape{batch, dirs(), hidden} : Shape{dirs(), batch, hidden};
    std::vector<Tensor> in;
    in.push_back(random_tensor(layout ? Shape{batch, seq, input} : Shape{seq, batch, input}, seed));
    in.push_back(random_tensor({dirs(), gate_rows(), input}, seed + 1));
    in.push_back(random_tensor({dirs(), gate_rows(), hidden}, seed + 2));
    in.push_back(bias ? random_tensor({dirs(), 2 * gate_rows()}, seed + 3) : Tensor());
    if (lengths) {
      std::mt19937 gen(seed + 4);
      std::vector<int32_t> v(static_cast<size_t>(batch));
      for (auto& l : v) l = static_cast<int32_t>(gen() % (seq + 1));
      if (!v.empty()) v[gen() % v.size()] = static_cast<int32_t>(seq);
      in.push_back(Tensor::from_vector<int32_t>({batch}, v));
    } else {
      in.emplace_back();
    }
    in.push_back(initial_h ? random_tensor(state, seed + 5) : Tensor());
    if (cell == RecurrentCell::kLstm) {
      in.push_back(initial_c ? random_tensor(state, seed + 6) : Tensor());
      in.push_back(peepholes ? random_tensor({dirs(), 3 * hidden}, seed + 7) : Tensor());
    }
    return in;
  }
};

// Random options for trial `trial` of a comparison: the directions and layouts in turn, the
// rest drawn from `gen` (outside activations and their parameters in a third of the trials).
inline RecurrentCase random_case(RecurrentCell cell, int trial, std::mt19937& gen) {
  static const char* kDirections[] = {"forward", "reverse", "bidirectional"};
  static const char* kActivations[] = {"Sigmoid",   "Tanh",       "Relu",           "HardSigmoid",
                                       "LeakyRelu", "Softsign",   "Softplus",       "Elu",
                                       "Affine",    "ScaledTanh", "ThresholdedRelu"};
  RecurrentCase c;
  c.cell = cell;
  c.seed = static_cast<uint32_t>(trial * 10 + 1);
  c.seq = 1 + gen() % 5;
  c.batch = 1 + gen() % 4;
  c.input = 1 + gen() % 7;
  c.hidden = 1 + gen() % 9;
  c.direction = kDirections[trial % 3];
  c.layout = (trial / 3) % 2;
  c.bias = gen() % 4 != 0;
  c.lengths = gen() % 2 != 0;
  c.initial_h = gen() % 2 != 0;
  c.initial_c = gen() % 2 != 0;
  c.peepholes = gen() % 2 != 0;
  c.clip = gen() % 3 == 0 ? 0.5f : 0.0f;
  c.input_forget = gen() % 4 == 0;
  c.linear_before_reset = gen() % 2 != 0;
  if (gen() % 3 == 0) {
    const int count = recurrent_activations(cell) * static_cast<int>(c.dirs());
    for (int i = 0; i < count; ++i) c.activations.push_back(kActivations[gen() % 11]);
    for (int i = 0; i < count; ++i) {
      c.alphas.push_back(0.1f + static_cast<float>(gen() % 10) / 10.0f);
      c.betas.push_back(static_cast<float>(gen() % 10) / 10.0f - 0.5f);
    }
  }
  c.outputs = {gen() % 4 != 0, gen() % 4 != 0, gen() % 4 != 0};
  return c;
}

// Runs `impl` on the node; outputs the node leaves out are absent (empty tensors), as in a plan.
// `constants`: the kernel sees the inputs at plan time (and may pack R then).
inline std::vector<Tensor> run_recurrent(const Node& node, int64_t opset,
                                         const std::vector<Tensor>& inputs, const std::string& impl,
                                         int threads = 1, bool constants = true) {
  std::vector<const Tensor*> in;
  for (size_t i = 0; i < inputs.size(); ++i) in.push_back(node.has_input(i) ? &inputs[i] : nullptr);
  const OpDef& def = op_for(node, opset);
  InferContext ic{node, opset, {}, in, {}, {}};
  for (const Tensor* t : in)
    ic.inputs.push_back(t ? ValueType{t->dtype(), t->shape(), true} : ValueType{});
  ic.output_values.resize(node.outputs.size());
  def.infer(ic);
  std::vector<Tensor> outs(node.outputs.size());
  KernelContext kc;
  kc.inputs = in;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty()) outs[i] = Tensor(ic.outputs[i].dtype, ic.outputs[i].shape);
    kc.outputs.push_back(node.outputs[i].empty() ? nullptr : &outs[i]);
  }
  KernelInfo ki{
      node,   opset, ic.inputs, ic.outputs, constants ? in : std::vector<const Tensor*>(in.size()),
      threads};
  const KernelImpl* kernel = find_kernel(def, impl);
  EXPECT_NE(kernel, nullptr) << impl;
  ThreadPool pool(threads);
  kc.pool = &pool;
  kernel->create(ki)->run(kc);
  return outs;
}

// The GEMM kernel against the reference on one case, at 1 thread with R packed at plan time
// and at 2 threads with R packed per run.
inline void expect_gemm_matches_reference(const RecurrentCase& c) {
  const Node node = c.node();
  const std::vector<Tensor> in = c.inputs();
  const std::vector<Tensor> want = run_recurrent(node, 14, in, "reference");
  for (int threads : {1, 2}) {
    const std::vector<Tensor> got =
        run_recurrent(node, 14, in, "recurrent_gemm", threads, threads == 1);
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(::testing::Message()
                   << c.op() << " output " << i << " seq " << c.seq << " batch " << c.batch
                   << " input " << c.input << " hidden " << c.hidden << " " << c.direction
                   << " layout " << c.layout << " clip " << c.clip << " activations "
                   << ::testing::PrintToString(c.activations) << " threads " << threads);
      // Unbounded gate activations (Affine, Relu as f) amplify the sums' different rounding.
      if (c.outputs[i]) expect_close(got[i], want[i], c.activations.empty() ? 1e-5 : 1e-4);
    }
  }
}

}  // namespace sinter::testing
