#pragma once
// What LSTM, GRU and RNN share as ops: attribute parsing, shape checks naming the node, shape
// inference and the kernels (lstm.cc, gru.cc and rnn.cc register one each).
#include "kernels/recurrent/recurrent_problem.h"
#include "ops/op_registry.h"

namespace sinter {

// The op's attributes, checked: a bad direction, activation name or count, clip, layout or
// hidden_size is a ModelError naming the node.
struct RecurrentAttributes {
  int directions = 1;
  bool reverse = false;
  int64_t hidden_size = -1;  // -1: not given, taken from R
  float clip = 0.0f;
  bool input_forget = false;
  bool linear_before_reset = false;
  bool batch_first = false;
  std::vector<RecurrentActivation> activations;
};

RecurrentAttributes recurrent_attributes(const Node& node, int64_t opset, RecurrentCell cell);

// The problem's cell and options from the attributes; sizes and tensors are left to the kernel.
RecurrentProblem recurrent_problem(const RecurrentAttributes& a, RecurrentCell cell);

// Throws an InputError naming `who` for a sequence length outside [0, p.seq_length].
void check_sequence_lengths(const std::string& who, const RecurrentProblem& p);

// Input positions in the ONNX signature (initial_c and P are LSTM's alone).
enum RecurrentInput { kX, kW, kR, kB, kSequenceLens, kInitialH, kInitialC, kPeepholes };

// `base` with this run's sizes and input tensors (the forward op's signature, which RecurrentGrad
// shares) filled in; sequence lengths are checked, naming `who`.
RecurrentProblem bound_problem(const RecurrentProblem& base, const KernelContext& ctx,
                               const std::string& who);

OpDef make_recurrent_def(const char* type, RecurrentCell cell);

}  // namespace sinter
