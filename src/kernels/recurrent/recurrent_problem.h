#pragma once
// One run of an ONNX recurrent layer (LSTM, GRU or RNN): its sizes, options and tensors, and
// where each (time step, batch row) lives in them under either layout. Gates are stored in the
// spec's order: LSTM i, o, f, c (peepholes i, o, f); GRU z, r, h; RNN one gate.
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/recurrent/recurrent_activation.h"

namespace sinter {

class ThreadPool;
class PackedMatrixB;

enum class RecurrentCell { kLstm, kGru, kRnn };

// Gates per direction: the rows of W and R are gates × hidden_size.
int recurrent_gates(RecurrentCell cell);
// Activations per direction: LSTM f, g, h; GRU f, g; RNN f.
int recurrent_activations(RecurrentCell cell);

struct RecurrentProblem {
  RecurrentCell cell = RecurrentCell::kLstm;
  int64_t seq_length = 0, batch = 0, input_size = 0, hidden_size = 0;
  int directions = 1;
  bool reverse = false;       // a single direction that runs from the last step back
  bool batch_first = false;   // layout 1: X [batch, seq, input], Y [batch, seq, dirs, hidden]
  float clip = 0.0f;          // > 0: gate inputs clamped to [-clip, clip]
  bool input_forget = false;  // LSTM: f = 1 - i
  bool linear_before_reset = false;  // GRU: r scales R_h·H + Rb_h rather than H
  // recurrent_activations(cell) per direction, the forward direction's first.
  std::vector<RecurrentActivation> activations;

  const float* x = nullptr;          // [seq, batch, input] (layout 0)
  const float* w = nullptr;          // [dirs, gates·hidden, input]
  const float* r = nullptr;          // [dirs, gates·hidden, hidden]
  const float* bias = nullptr;       // [dirs, 2·gates·hidden]: Wb then Rb; null: zeros
  const int32_t* lengths = nullptr;  // [batch], checked to lie in [0, seq]; null: all seq
  const float* initial_h = nullptr;  // [dirs, batch, hidden] (layout 0); null: zeros
  const float* initial_c = nullptr;  // LSTM, as initial_h
  const float* peepholes = nullptr;  // LSTM [dirs, 3·hidden]; null: zeros
  float* y = nullptr;                // [seq, dirs, batch, hidden] (layout 0); null: not wanted
  float* y_h = nullptr;              // [dirs, batch, hidden] (layout 0); null: not wanted
  float* y_c = nullptr;              // LSTM, as y_h

  int64_t gate_rows() const { return recurrent_gates(cell) * hidden_size; }
  // Direction d runs from the last valid step back to the first.
  bool backward(int d) const { return d == 1 || reverse; }
  int64_t length(int64_t b) const { return lengths ? lengths[b] : seq_length; }
  // Which row of X (as a [seq·batch, input] matrix) holds step t of batch row b.
  int64_t x_row(int64_t t, int64_t b) const {
    return batch_first ? b * seq_length + t : t * batch + b;
  }
  int64_t y_offset(int64_t t, int d, int64_t b) const {
    return (batch_first ? (b * seq_length + t) * directions + d
                        : (t * directions + d) * batch + b) *
           hidden_size;
  }
  int64_t state_offset(int d, int64_t b) const {
    return (batch_first ? b * directions + d : d * batch + b) * hidden_size;
  }
  const RecurrentActivation& activation(int d, int k) const {
    return activations[static_cast<size_t>(d * recurrent_activations(cell) + k)];
  }
};

// The spec's equations as plain loops, one batch row and step at a time: the oracle.
void recurrent_reference(const RecurrentProblem& p);

// R^T packed for the per-step products, per direction; GRU without linear_before_reset keeps
// the z and r rows apart from h's, whose product waits for r. Packed once when R is constant.
struct PackedRecurrentWeights {
  std::vector<std::shared_ptr<const PackedMatrixB>> r, r_h;
};
// Reads p.r, p.hidden_size, p.directions, p.cell and p.linear_before_reset.
PackedRecurrentWeights pack_recurrent_weights(const RecurrentProblem& p);

// All steps' input projections X·W^T as one GEMM, then per step one GEMM of H·R^T (two for GRU
// without linear_before_reset) and the gate math fused over each batch row. `packed`: R as
// pack_recurrent_weights made it (null: packed here).
void recurrent_gemm(const RecurrentProblem& p, ThreadPool* pool,
                    const PackedRecurrentWeights* packed = nullptr);

}  // namespace sinter
