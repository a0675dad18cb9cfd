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

OpDef make_recurrent_def(const char* type, RecurrentCell cell);

}  // namespace sinter
